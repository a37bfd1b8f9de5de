package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;
import org.kombu4j.MessageStateException;
import org.kombu4j.transport.virtual.QoS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deliveries of one {@link RedisChannel} not yet settled, and their settling in Redis: prefetch
 * (a core {@link QoS}, with reservations for pops whose reply is on the wire), acknowledgements
 * (batched on the event thread), rejects, and restores. Fanout deliveries are held here too but
 * outside prefetch and never in Redis's {@code unacked} (Kombu does not record them, §12.2).
 * Thread-safe.
 */
final class UnackedDeliveries {
    private static final Logger log = LoggerFactory.getLogger(UnackedDeliveries.class);
    private static final String HDEL = "HDEL";

    /**
     * An unsettled delivery: Kombu's tag (empty for fanout), the list it came from and its envelope, to
     * ack or restore it, and its queue.
     */
    record Held(String tag, String sourceKey, byte[] envelope, String queue) {
    }

    private final RedisTransport transport;
    private final MultiChannelPoller poller;
    private final Keys keys;
    private final QoS<Held> qos = new QoS<>();
    /** The prefetch limit this channel shares with others ({@code layout=queue}), or null. */
    private volatile @Nullable SharedPrefetch shared;
    private final Map<Long, Held> fanoutHeld = new ConcurrentHashMap<>();
    /** Whether a flush of acks made on the event thread is posted and has not run yet. */
    private final AtomicBoolean flushPosted = new AtomicBoolean();
    private final List<String> pendingAcks = new ArrayList<>();
    /** Kombu's tags of the messages held in {@code unacked}, for the {@link LeaseRenewer}. */
    private final java.util.Set<String> heldTags = ConcurrentHashMap.newKeySet();

    UnackedDeliveries(RedisTransport transport) {
        this.transport = transport;
        this.poller = transport.poller();
        this.keys = transport.keys();
    }

    void setPrefetchCount(int prefetchCount) {
        qos.setPrefetchCount(prefetchCount);
    }

    void sharePrefetch(SharedPrefetch shared) {
        this.shared = shared;
        shared.adjust(inFlight());
    }

    /** Leaves the shared limit (the channel closed): what it still holds or reserves no longer counts there. */
    void unsharePrefetch() {
        SharedPrefetch s = shared;
        if (s != null) {
            shared = null;
            s.adjust(-inFlight());
        }
    }

    /** Tells the shared limit, if any, that this channel's held or reserved messages changed by {@code delta}. */
    private void counted(int delta) {
        SharedPrefetch s = shared;
        if (s != null) {
            s.adjust(delta);
        }
    }

    /** Messages held in acknowledged mode plus reserved units: what counts against prefetch. */
    int inFlight() {
        return qos.size() + qos.reserved();
    }

    /** Reserves room for up to {@code max} messages a pop may bring (see {@link QoS#reserve}), within a shared limit if any. */
    int reserve(int max) {
        SharedPrefetch s = shared;
        int n = s == null ? max : Math.min(max, s.room());
        if (n <= 0) {
            return 0;
        }
        int granted = qos.reserve(n);
        counted(granted);
        return granted;
    }

    /** Whether another acknowledged-mode message fits under prefetch, reservations counted as taken. */
    boolean hasRoom() {
        SharedPrefetch s = shared;
        return qos.canConsume() && (s == null || s.room() > 0);
    }

    /** Returns {@code unused} reserved units. */
    void release(int unused) {
        qos.release(unused);
        counted(-unused);
        SharedPrefetch s = shared;
        if (s != null && unused > 0) {
            s.capacityFreed(null); // a pop's unused reservation: room the channels sharing the limit may be waiting for
        }
    }

    /** Holds a message a pop brought in one reserved unit. */
    void holdReserved(long deliveryTag, Held held) {
        heldTags.add(held.tag());
        qos.appendReserved(deliveryTag, held);
    }

    /** Holds a message taken outside prefetch (basic get). */
    void hold(long deliveryTag, Held held) {
        heldTags.add(held.tag());
        qos.append(deliveryTag, held);
        counted(1);
    }

    /** Adds the tags whose leases this channel renews to {@code out}. */
    void heldTags(List<String> out) {
        out.addAll(heldTags);
    }

    void holdFanout(long deliveryTag, Held held) {
        fanoutHeld.put(deliveryTag, held);
    }

    /**
     * Acknowledges a delivery: on the event thread batched until {@link #flushAcks} (at the end of the dispatch,
     * or on the loop's next pass at the latest), elsewhere sent at once.
     *
     * @throws MessageStateException if the tag is not an unsettled delivery of this channel
     */
    void ack(long deliveryTag) {
        if (!forgetAcked(deliveryTag)) {
            return;
        }
        if (!poller.inEventThread()) {
            flushAcks();
        } else {
            // Batched with the dispatch that made it, which flushes when it ends; an ack from another hub
            // callback (a timer) has no such end, so a flush also runs on the loop's next pass.
            postFlush();
        }
    }

    /**
     * Acknowledges a delivery from any thread without waiting: the tag joins the batch the event thread
     * sends on its next pass (woken for it), with the acks of other threads and of the dispatch there.
     */
    void ackSoon(long deliveryTag) {
        if (forgetAcked(deliveryTag)) {
            postFlush();
        }
    }

    /** Takes an acknowledged tag out of prefetch into the pending batch; false for a fanout delivery. */
    private boolean forgetAcked(long deliveryTag) {
        Held h = qos.remove(deliveryTag);
        if (h != null) {
            counted(-1);
        }
        if (h == null) {
            if (fanoutHeld.remove(deliveryTag) == null) {
                throw new MessageStateException("unknown delivery tag " + deliveryTag
                        + ": already acknowledged, or not from this channel");
            }
            return false; // fanout deliveries are never recorded in unacked (§12.2)
        }
        forget(h.tag());
        return true;
    }

    private void postFlush() {
        if (flushPosted.compareAndSet(false, true)) {
            poller.post(this::flushPostedAcks);
        }
    }

    private void flushPostedAcks() {
        flushPosted.set(false);
        flushAcks();
    }

    /** Drops Kombu's record of {@code tag} with the next {@link #flushAcks}. */
    void forget(String tag) {
        heldTags.remove(tag);
        synchronized (pendingAcks) {
            pendingAcks.add(tag);
        }
    }

    /**
     * Sends buffered acknowledgements: one HDEL/ZREM/HDEL round trip for the whole batch. The batch is taken once
     * the command connection is ours, so acknowledgements that threads (a worker's handler threads) add while
     * another thread's round trip is in flight go together in the next one instead of one round trip each; a
     * caller whose tag another thread sent returns once that round trip has completed (it held the connection).
     */
    void flushAcks() {
        synchronized (pendingAcks) {
            if (pendingAcks.isEmpty()) {
                return;
            }
        }
        transport.commands(c -> {
            List<String> tags;
            synchronized (pendingAcks) {
                if (pendingAcks.isEmpty()) {
                    return null;
                }
                tags = new ArrayList<>(pendingAcks);
                pendingAcks.clear();
            }
            return c.pipeline(forgetCommands(tags));
        });
    }

    /** The commands that drop every record of {@code tags}: Kombu's two and our two. */
    List<List<Object>> forgetCommands(List<String> tags) {
        List<List<Object>> cmds = new ArrayList<>(4);
        for (List<Object> head : List.<List<Object>>of(List.of(HDEL, keys.unacked()), List.of("ZREM", keys.unackedIndex()),
                List.of(HDEL, keys.unackedQueues()), List.of("ZREM", keys.leases()))) {
            List<Object> cmd = new ArrayList<>(head);
            cmd.addAll(tags);
            cmds.add(cmd);
        }
        return cmds;
    }

    /**
     * Rejects a delivery; with {@code requeue} it goes to the back of its list, marked redelivered.
     *
     * @return a fanout delivery to redeliver locally (pub/sub keeps nothing to requeue into), else null
     * @throws MessageStateException if the tag is not an unsettled delivery of this channel
     */
    @Nullable Held reject(long deliveryTag, boolean requeue) {
        Held h = qos.remove(deliveryTag);
        if (h != null) {
            counted(-1);
        }
        if (h == null) {
            Held f = fanoutHeld.remove(deliveryTag);
            if (f == null) {
                throw new MessageStateException("unknown delivery tag " + deliveryTag + ": already settled, or not from this channel");
            }
            return requeue ? f : null;
        }
        if (requeue) {
            heldTags.remove(h.tag());
            // Kombu's reject-requeue LPUSHes: the message goes to the back of the queue (§6).
            transport.restorer().restore(RestoreEnd.BACK, List.of(new UnackedRestorer.Restore(h.tag(), List.of(h.sourceKey()),
                    DeliveryCount.markReturned(h.envelope()))));
        } else {
            forget(h.tag());
            flushAcks();
        }
        return null;
    }

    /**
     * Takes a delivery out of this channel's unsettled ones, to dead-letter it; its {@code unacked} record
     * stays until the caller drops it (with the dead letter's publish, so nothing is lost).
     *
     * @return the delivery, or null for a fanout one (Redis keeps no record of those; it is just dropped)
     * @throws MessageStateException if the tag is not an unsettled delivery of this channel
     */
    @Nullable Held take(long deliveryTag) {
        Held h = qos.remove(deliveryTag);
        if (h != null) {
            counted(-1);
        }
        if (h == null && fanoutHeld.remove(deliveryTag) == null) {
            throw new MessageStateException("unknown delivery tag " + deliveryTag + ": already settled, or not from this channel");
        }
        if (h != null) {
            heldTags.remove(h.tag()); // no longer renewed: if dead-lettering fails, its lease runs out and it is restored
        }
        return h;
    }

    /** Every unsettled message back to the consuming end of its list, marked redelivered, oldest next. */
    void restoreAll() {
        fanoutHeld.clear();
        List<Held> all = qos.drain();
        counted(-all.size());
        if (all.isEmpty()) {
            return;
        }
        List<UnackedRestorer.Restore> items = new ArrayList<>(all.size());
        for (int i = all.size() - 1; i >= 0; i--) {
            Held h = all.get(i);
            heldTags.remove(h.tag());
            items.add(new UnackedRestorer.Restore(h.tag(), List.of(h.sourceKey()), DeliveryCount.markReturned(h.envelope())));
        }
        transport.restorer().restore(RestoreEnd.FRONT, items);
    }

    /** A message popped for a consumer that has gone: back to the front of its list, not marked redelivered. */
    void giveBack(String sourceKey, byte[] envelope, String tag) {
        try {
            if (tag.isEmpty()) {
                transport.commands(c -> RedisTransport.check(c.call(List.of("RPUSH", sourceKey, envelope)), "RPUSH"));
            } else {
                transport.restorer().restore(RestoreEnd.FRONT, List.of(new UnackedRestorer.Restore(tag, List.of(sourceKey), envelope)));
            }
        } catch (KombuException e) {
            log.warn("could not give back a message to {} (it is restored after visibility_timeout): {}", sourceKey, e.getMessage());
        }
    }
}
