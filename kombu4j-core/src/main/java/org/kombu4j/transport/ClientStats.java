package org.kombu4j.transport;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 *
 * <p>Memory: one cell per queue counted, forgotten once it has been flushed and idle (nothing counted, no consumer)
 * for {@link #FORGET_IDLE_MS}, so an application that churns short-lived queues (RPC replies, auto-delete queues)
 * does not grow. The totals already written stay on the broker; a forgotten queue counted again gets a new cell.
 */
public final class ClientStats implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClientStats.class);
    /** How often counts are written while they change. */
    public static final long FLUSH_MS = 1000;
    /** How often a consumer record is rewritten when nothing else changed. */
    public static final long REFRESH_MS = 5000;
    /** How long a consumer record counts after it was written: three refreshes missed means the process is gone. */
    public static final long EXPIRY_MS = 3 * REFRESH_MS;
    /** How long a queue's cell stays once flushed with nothing counted and no consumer; then it is forgotten. */
    public static final long FORGET_IDLE_MS = 60_000;

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

    /** One queue's counts. Package-private for the test of a count that lands on a cell just forgotten. */
    final class Cell {
        final String queue;
        final LongAdder published = new LongAdder();
        final LongAdder delivered = new LongAdder();
        /** Set (before the cell leaves the map) when it is forgotten; a counter that sees it reports the cell late. */
        volatile boolean forgotten;
        long flushedPublished; // flusher only
        long flushedDelivered;
        long activeAt; // flusher only: the last flush that saw a count or a consumer

        Cell(String queue) {
            this.queue = queue;
        }

        void addPublished(long n) {
            published.add(n);
            afterCount();
        }

        void addDelivered() {
            delivered.increment();
            afterCount();
        }

        private void afterCount() {
            // A counter may hold a cell the flusher forgot since its lookup. The flusher marks the cell, then
            // reads its sums; we add, then read the mark (both volatile): the flusher sees our count or we see
            // the mark and hand the cell back, so a count is never lost, at worst it is looked at twice.
            if (forgotten) {
                late.add(this);
            }
        }
    }

    private final ConcurrentHashMap<String, Cell> cells = new ConcurrentHashMap<>();
    /** Forgotten cells counted after they were forgotten, for the next flush. */
    private final ConcurrentLinkedQueue<Cell> late = new ConcurrentLinkedQueue<>();
    private final String id = UUID.randomUUID().toString();
    private final Sink sink;
    private final Consumer<Map<String, Integer>> consumers;
    private final Object flushLock = new Object();
    private volatile @Nullable ScheduledFuture<?> task;
    private volatile boolean closed;
    // Guarded by flushLock.
    private Map<String, Integer> lastConsumers = Map.of();
    private long lastConsumersAt;
    /** Forgotten cells with counts not yet written (a write failed, or they were counted late). */
    private final Set<Cell> unflushedForgotten = new HashSet<>();

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
        cell(queue).addPublished(n);
    }

    /** Counts one message published to {@code queue}. */
    public void published(String queue) {
        cell(queue).addPublished(1);
    }

    /** Counts one message delivered from {@code queue}. */
    public void delivered(String queue) {
        cell(queue).addDelivered();
    }

    Cell cell(String queue) {
        Cell c = cells.get(queue);
        if (c == null) {
            c = cells.computeIfAbsent(queue, Cell::new);
            start();
        }
        return c;
    }

    /** How many queues have a cell (for tests). */
    int queuesCounted() {
        return cells.size();
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
            Map<String, Integer> now_ = new HashMap<>();
            if (!closing) {
                consumers.accept(now_);
                now_.values().removeIf(n -> n <= 0);
            }
            Map<String, long[]> counts = new HashMap<>();
            Map<Cell, long[]> sums = new HashMap<>();
            for (Cell c; (c = late.poll()) != null; ) {
                unflushedForgotten.add(c);
            }
            for (Cell c : cells.values()) {
                if (!count(c, counts, sums) && !now_.containsKey(c.queue)) {
                    if (now - c.activeAt >= FORGET_IDLE_MS) {
                        forget(c);
                    }
                } else {
                    c.activeAt = now;
                }
            }
            for (Cell c : unflushedForgotten) {
                count(c, counts, sums);
            }
            boolean consumersDue = !now_.equals(lastConsumers)
                    || !now_.isEmpty() && now - lastConsumersAt >= REFRESH_MS;
            if (counts.isEmpty() && !consumersDue) {
                unflushedForgotten.clear(); // nothing in them to write
                return;
            }
            sink.write(counts, consumersDue ? now_ : null, id, now + EXPIRY_MS);
            // Only once written: a failed write leaves the counts to the next flush.
            sums.forEach((c, s) -> {
                c.flushedPublished = s[0];
                c.flushedDelivered = s[1];
            });
            // A forgotten cell counted again after this flush read it is handed back through late.
            unflushedForgotten.clear();
            if (consumersDue) {
                lastConsumers = now_;
                lastConsumersAt = now;
            }
        }
    }

    /**
     * Adds what {@code c} counted since its last write to {@code counts} (under its queue, beside what another cell
     * of the same queue counted) and its sums to {@code sums}; false if it counted nothing since.
     */
    private static boolean count(Cell c, Map<String, long[]> counts, Map<Cell, long[]> sums) {
        long p = c.published.sum();
        long d = c.delivered.sum();
        if (p == c.flushedPublished && d == c.flushedDelivered) {
            return false;
        }
        long[] n = counts.computeIfAbsent(c.queue, q -> new long[2]);
        n[0] += p - c.flushedPublished;
        n[1] += d - c.flushedDelivered;
        sums.put(c, new long[] {p, d});
        return true;
    }

    /**
     * Drops an idle cell. Its sums are read again after (with the other forgotten cells, below in {@link #flush}):
     * a count that raced with forgetting goes with this flush or, if this read missed it, a later one.
     */
    private void forget(Cell c) {
        c.forgotten = true; // before the sums are read again: see Cell.afterCount
        cells.remove(c.queue, c);
        unflushedForgotten.add(c);
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
