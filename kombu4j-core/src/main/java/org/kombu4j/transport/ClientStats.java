package org.kombu4j.transport;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a transport without broker-side statistics (Redis, SQL) tells a monitor about its own clients: messages
 * published to and delivered from each queue, counted in memory, and its live consumers per queue. A
 * {@link Sink} writes them to the broker about once a second ({@link #FLUSH_MS}) in one round trip: the counts
 * added to running totals every process shares, the consumers as this connection's own record with an expiry.
 *
 * <p>Cost: on the hot path one map lookup and one {@link LongAdder} increment per message; on the broker one
 * write a second while messages flow, one every {@link #REFRESH_MS} while consumers exist and nothing flows
 * (the record's refresh; it expires {@link #EXPIRY_MS} after the last), nothing when idle with no consumers.
 * A consumer set that changes is written at the next flush; a clean close deletes the record at once.
 */
public final class ClientStats implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClientStats.class);
    /** How often counts are written while they change. */
    public static final long FLUSH_MS = 1000;
    /** How often a consumer record is rewritten when nothing else changed. */
    public static final long REFRESH_MS = 5000;
    /** How long a consumer record counts after it was written: three refreshes missed means the process is gone. */
    public static final long EXPIRY_MS = 3 * REFRESH_MS;

    /** Writes what changed. Called from one thread at a time. */
    public interface Sink {
        /**
         * Adds {@code counts} (queue → {published, delivered}, each pair nonzero) to the shared totals and, when
         * {@code consumers} is not null, replaces this client's consumer record {@code id} with it (queue → count,
         * every count positive; empty: remove the record), valid until {@code expiresAtMillis}.
         */
        void write(Map<String, long[]> counts, @Nullable Map<String, Integer> consumers, String id, long expiresAtMillis);
    }

    /** One thread for every connection of the JVM: a flush is one short round trip a second. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kombu4j-client-stats");
        t.setDaemon(true);
        return t;
    });

    private static final class Cell {
        final LongAdder published = new LongAdder();
        final LongAdder delivered = new LongAdder();
        long flushedPublished; // flusher only
        long flushedDelivered;
    }

    private final ConcurrentHashMap<String, Cell> cells = new ConcurrentHashMap<>();
    private final String id = UUID.randomUUID().toString();
    private final Sink sink;
    private final Consumer<Map<String, Integer>> consumers;
    private final Object flushLock = new Object();
    private volatile @Nullable ScheduledFuture<?> task;
    private volatile boolean closed;
    // Guarded by flushLock.
    private Map<String, Integer> lastConsumers = Map.of();
    private long lastConsumersAt;

    /**
     * @param sink where the figures go
     * @param consumers adds the connection's live consumers per queue to the map it is given
     */
    public ClientStats(Sink sink, Consumer<Map<String, Integer>> consumers) {
        this.sink = sink;
        this.consumers = consumers;
    }

    /** This client's id in the consumer records. */
    public String id() {
        return id;
    }

    /** Counts {@code n} messages published to {@code queue}. */
    public void published(String queue, long n) {
        cell(queue).published.add(n);
    }

    /** Counts one message published to {@code queue}. */
    public void published(String queue) {
        cell(queue).published.increment();
    }

    /** Counts one message delivered from {@code queue}. */
    public void delivered(String queue) {
        cell(queue).delivered.increment();
    }

    private Cell cell(String queue) {
        Cell c = cells.get(queue);
        if (c == null) {
            c = cells.computeIfAbsent(queue, q -> new Cell());
            start();
        }
        return c;
    }

    /** Starts the periodic flush (also called by the first count); a consumer's transport calls it on consume. */
    public void start() {
        if (task == null && !closed) {
            synchronized (this) {
                if (task == null && !closed) {
                    task = TIMER.scheduleWithFixedDelay(this::flushQuietly, FLUSH_MS, FLUSH_MS, TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    private void flushQuietly() {
        try {
            flush(System.currentTimeMillis(), false);
        } catch (RuntimeException e) {
            // The counts stay in memory and go with the next flush; a monitor sees them late, not lost.
            log.debug("writing client statistics failed (retried in {} ms): {}", FLUSH_MS, e.toString());
        }
    }

    /**
     * Writes what changed since the last flush, if anything did (or the consumer record is due a refresh).
     *
     * @param closing write an empty consumer record (the connection is closing)
     */
    public void flush(long now, boolean closing) {
        synchronized (flushLock) {
            Map<String, long[]> counts = new HashMap<>();
            Map<Cell, long[]> sums = new HashMap<>();
            for (Map.Entry<String, Cell> e : cells.entrySet()) {
                Cell c = e.getValue();
                long p = c.published.sum();
                long d = c.delivered.sum();
                if (p != c.flushedPublished || d != c.flushedDelivered) {
                    counts.put(e.getKey(), new long[] {p - c.flushedPublished, d - c.flushedDelivered});
                    sums.put(c, new long[] {p, d});
                }
            }
            Map<String, Integer> now_ = new HashMap<>();
            if (!closing) {
                consumers.accept(now_);
                now_.values().removeIf(n -> n <= 0);
            }
            boolean consumersDue = !now_.equals(lastConsumers)
                    || !now_.isEmpty() && now - lastConsumersAt >= REFRESH_MS;
            if (counts.isEmpty() && !consumersDue) {
                return;
            }
            sink.write(counts, consumersDue ? now_ : null, id, now + EXPIRY_MS);
            // Only once written: a failed write leaves the counts to the next flush.
            sums.forEach((c, s) -> {
                c.flushedPublished = s[0];
                c.flushedDelivered = s[1];
            });
            if (consumersDue) {
                lastConsumers = now_;
                lastConsumersAt = now;
            }
        }
    }

    /** Stops flushing, after writing the last counts and removing the consumer record (best effort). */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            ScheduledFuture<?> t = task;
            if (t != null) {
                t.cancel(false);
            }
        }
        if (task == null) {
            return; // never counted anything nor had consumers: nothing was written
        }
        try {
            flush(System.currentTimeMillis(), true);
        } catch (RuntimeException e) {
            log.debug("writing the last client statistics failed: {}", e.toString());
        }
    }
}
