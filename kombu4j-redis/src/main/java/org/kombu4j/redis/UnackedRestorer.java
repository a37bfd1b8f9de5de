package org.kombu4j.redis;

import org.kombu4j.transport.virtual.Envelope;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.kombu4j.ExchangeType;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Ticker;
import org.kombu4j.redis.internal.Resp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves unacknowledged messages back to their lists (WIRE.md §6, §12.8): those a channel gives back
 * (close, recover, reject with requeue), and — every {@code unacked_restore_interval}, under Kombu's
 * {@code unacked_mutex} — those unacknowledged for longer than {@code visibility_timeout}. Records
 * written by Python Kombu (no list recorded) are routed again through the current bindings, as Kombu
 * does; fanout records are dropped rather than pushed into lists nobody reads (§12.2). One per
 * transport; thread-safe except {@link #restoreDue()}, which the event thread calls.
 */
final class UnackedRestorer {
    private static final Logger log = LoggerFactory.getLogger(UnackedRestorer.class);

    /** One record to move back: its tag, target lists (none = just drop it) and envelope. */
    record Restore(String tag, List<String> targets, byte[] envelope) {
    }

    /** Kombu's {@code unacked_mutex_expire}: the longest the restore mutex is held. */
    private static final long MUTEX_EXPIRE_MILLIS = 300_000;

    private final RedisTransport transport;
    private final Keys keys;
    private final Clock clock;
    private final Ticker ticker;
    /** Event-thread state: when the last periodic restore ran, by {@link #ticker}. */
    private long lastRestore;

    /**
     * @param clock wall-clock time, compared with Kombu's {@code unacked_index} scores (epoch seconds)
     * @param ticker paces the periodic restore
     */
    UnackedRestorer(RedisTransport transport, Clock clock, Ticker ticker) {
        this.transport = transport;
        this.keys = transport.keys();
        this.clock = clock;
        this.ticker = ticker;
        this.lastRestore = ticker.nanoTime();
    }

    /**
     * Runs {@link #restoreVisible()} if {@code unacked_restore_interval} has passed since the last run
     * (event thread, from its periodic work); a failure is logged and retried next interval.
     */
    void restoreDue() {
        long now = ticker.nanoTime();
        long interval = transport.options().unackedRestoreInterval().toNanos();
        long lease = transport.options().lease().toNanos();
        if (lease > 0) {
            interval = Math.min(interval, lease / 2); // so a dead consumer's messages are back within 2x the lease
        }
        if (now - lastRestore > interval) {
            lastRestore = now;
            try {
                restoreVisible();
            } catch (OperationalException e) {
                log.warn("restoring timed-out unacknowledged messages failed: {}", e.getMessage());
            }
        }
    }

    /**
     * Restores messages unacknowledged for longer than {@code visibility_timeout}, under Kombu's
     * {@code unacked_mutex} (§6) so only one process does it at a time.
     *
     * @return how many were pushed back
     */
    int restoreVisible() {
        String token = UUID.randomUUID().toString();
        // Kombu holds the mutex for up to 300 s (unacked_mutex_expire); a process killed while holding it
        // stops every restore that long. Ours is held no longer than the visibility timeout (at least
        // 1 s): the mutex only saves work, since the restore script never pushes a record twice.
        long hold = Math.max(1000, Math.min(MUTEX_EXPIRE_MILLIS, transport.options().visibilityTimeout().toMillis()));
        Object got = transport.commands(c -> c.call(List.of("SET", keys.unackedMutex(), token, "NX", "PX", Long.toString(hold))));
        if (!"OK".equals(got)) {
            return 0;
        }
        try {
            long nowMillis = clock.millis();
            int pushed = 0;
            // Ours: a lease no live consumer renewed.
            List<Object> expired = Resp.array(transport.commands(c -> c.call(List.of("ZRANGEBYSCORE", keys.leases(), "-inf",
                    Long.toString(nowMillis), "LIMIT", "0", "1000"))));
            for (Object t : expired) {
                pushed += restoreRecord(Resp.text(t));
            }
            // Python's (and those taken with leases off): Kombu's visibility_timeout from the index score.
            // Never a short lease for these: Python does not renew, so it would duplicate its in-flight messages.
            double ceiling = nowMillis / 1000.0 - transport.options().visibilityTimeout().toMillis() / 1000.0;
            List<Object> tags = Resp.array(transport.commands(c -> c.call(List.of("ZRANGEBYSCORE", keys.unackedIndex(), "-inf",
                    Double.toString(ceiling), "LIMIT", "0", "1000"))));
            if (!tags.isEmpty()) {
                List<Object> zmscore = new ArrayList<>(List.of("ZMSCORE", keys.leases()));
                zmscore.addAll(tags);
                List<Object> leased = Resp.array(transport.commands(c -> RedisTransport.check(c.call(zmscore), "ZMSCORE")));
                for (int i = 0; i < tags.size(); i++) {
                    if (leased.get(i) == null) {
                        pushed += restoreRecord(Resp.text(tags.get(i)));
                    }
                }
            }
            dropStaleQueueRecords();
            return pushed;
        } finally {
            transport.commands(c -> Script.RELEASE_MUTEX.call(c, List.of(keys.unackedMutex()), List.of(token)));
        }
    }

    /**
     * Python Kombu restores and acknowledges by {@code unacked}/{@code unacked_index} alone, so our
     * {@code _kombu4j.unacked.queues} entry for a tag it restored stays behind: drop a batch of those
     * whose {@code unacked} record is gone.
     */
    private void dropStaleQueueRecords() {
        List<Object> scan = Resp.array(transport.commands(c -> c.call(List.of("HSCAN", keys.unackedQueues(), "0", "COUNT", "200"))));
        List<Object> flat = Resp.array(scan.get(1));
        List<List<Object>> checks = new ArrayList<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            checks.add(List.of("HEXISTS", keys.unacked(), flat.get(i)));
        }
        if (checks.isEmpty()) {
            return;
        }
        List<Object> exists = transport.commands(c -> c.pipeline(checks));
        List<Object> hdel = new ArrayList<>(List.of("HDEL", keys.unackedQueues()));
        for (int i = 0; i < exists.size(); i++) {
            if (Resp.integer(exists.get(i)) == 0) {
                hdel.add(flat.get(i * 2));
            }
        }
        if (hdel.size() > 2) {
            transport.commands(c -> c.call(hdel));
        }
    }

    private int restoreRecord(String tag) {
        List<Object> r = transport.commands(c -> c.pipeline(List.of(List.of("HGET", keys.unacked(), tag),
                List.of("HGET", keys.unackedQueues(), tag))));
        if (r.get(0) == null) {
            // Already acknowledged or restored elsewhere: drop the stale index entries.
            transport.commands(c -> c.pipeline(List.of(List.of("ZREM", keys.unackedIndex(), tag),
                    List.of("HDEL", keys.unackedQueues(), tag), List.of("ZREM", keys.leases(), tag))));
            return 0;
        }
        UnackedRecord rec = UnackedRecord.parse((byte[]) r.get(0));
        List<String> targets = new ArrayList<>();
        byte[] envelope;
        if (rec == null) {
            log.warn("dropping unparseable unacked record {}", tag);
            envelope = new byte[0];
        } else {
            envelope = DeliveryCount.markReturned(rec.envelope());
            if (r.get(1) != null) {
                targets.add(Resp.text(r.get(1)));
            } else {
                // Written by Python Kombu, which does not record the list: route again, as Kombu would.
                for (String q : route(rec.exchange(), rec.routingKey(), Envelope.headersOf(envelope))) {
                    targets.add(keys.queue(q, transport.options().stepFor(Envelope.priorityOf(envelope))));
                }
                if (targets.isEmpty()) {
                    log.warn("unacked message {} from exchange '{}' has no queue to go back to (fanout, or no binding left); dropped",
                            tag, rec.exchange());
                }
            }
        }
        return restore(RestoreEnd.FRONT, List.of(new Restore(tag, targets, envelope)));
    }

    /**
     * Runs the restore script for several records, pushing each to {@code end} of its lists, and
     * drops their records; a record already gone (acknowledged, restored elsewhere) is not pushed.
     *
     * @return how many pushes were made
     */
    int restore(RestoreEnd end, List<Restore> items) {
        if (items.isEmpty()) {
            return 0;
        }
        List<Object> ks = new ArrayList<>(List.of(keys.unacked(), keys.unackedIndex(), keys.unackedQueues(), keys.leases()));
        Map<String, Integer> index = new LinkedHashMap<>();
        List<Object> args = new ArrayList<>();
        args.add(end.command());
        int n = 0;
        List<Object> triples = new ArrayList<>();
        for (Restore it : items) {
            if (it.targets().isEmpty()) {
                triples.add(it.tag());
                triples.add(0);
                triples.add(it.envelope());
                n++;
            }
            for (String t : it.targets()) {
                Integer i = index.get(t);
                if (i == null) {
                    i = index.size() + 1;
                    index.put(t, i);
                    ks.add(t);
                }
                triples.add(it.tag());
                triples.add(i);
                triples.add(it.envelope());
                n++;
            }
        }
        args.add(n);
        args.addAll(triples);
        return (int) Resp.integer(transport.commands(c -> Script.RESTORE.call(c, ks, args)));
    }

    /** The queues a message goes to by the bindings in Redis, with AMQP semantics; for restoring Kombu's records. */
    private Set<String> route(String exchange, String routingKey, Map<String, Object> headers) {
        if (exchange.isEmpty()) {
            return Set.of(routingKey);
        }
        List<Object> r = transport.commands(c -> c.pipeline(List.of(List.of("HGET", keys.exchangeTypes(), exchange),
                List.of("SMEMBERS", keys.bindings(exchange)))));
        Routes.Table t = transport.routes().table(r.get(0), r.get(1));
        if (t.type() == ExchangeType.FANOUT) {
            return Set.of(); // fanout is pub/sub: never push it into lists nobody reads (§12.2)
        }
        return transport.router().route(t.type(), t.rows(), routingKey, headers);
    }
}
