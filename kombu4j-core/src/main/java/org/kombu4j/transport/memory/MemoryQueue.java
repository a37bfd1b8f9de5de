package org.kombu4j.transport.memory;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Queue;
import org.kombu4j.transport.virtual.DeadLetterPolicy;
import org.kombu4j.transport.virtual.StoredMessage;

/**
 * One in-process queue. With {@code x-max-priority} it orders by priority (higher first, as AMQP)
 * then arrival; otherwise FIFO. Honours {@code x-message-ttl}, per-message {@code expiration} and
 * {@code x-max-length} (dropping the oldest). Watchers are told of every put so consumers wake
 * without polling.
 */
final class MemoryQueue {
    private record Entry(StoredMessage message, long seq, int priority, long expiresAtNanos) {
    }

    private static final Comparator<Entry> PRIORITY_ORDER =
            Comparator.comparingInt((Entry e) -> -e.priority).thenComparingLong(e -> e.seq);

    final Queue definition;
    /** The queue's dead-letter arguments, or null. */
    final @Nullable DeadLetterPolicy deadLetters;
    private final @Nullable Integer maxPriority;
    private final long ttlNanos;
    private final long maxLength;
    /**
     * FIFO contents: the StoredMessage itself, or an {@link Entry} for one that can expire. Without the wrapper a
     * message that cannot expire costs the queue no allocation, and the consumer one dependent load less.
     */
    private final ArrayDeque<Object> fifo;
    private final PriorityQueue<Entry> byPriority;
    private long tailSeq;
    private long headSeq;
    final CopyOnWriteArraySet<Runnable> watchers = new CopyOnWriteArraySet<>();
    /** Set once the queue was removed from its broker, so channels stop using a cached reference to it. */
    volatile boolean deleted;

    MemoryQueue(Queue definition) {
        this.definition = definition;
        this.deadLetters = DeadLetterPolicy.of(definition);
        this.maxPriority = definition.maxPriority();
        Object ttl = definition.arguments().get(Queue.MESSAGE_TTL);
        this.ttlNanos = ttl instanceof Number ? ((Number) ttl).longValue() * 1_000_000L : -1;
        Object max = definition.arguments().get(Queue.MAX_LENGTH);
        this.maxLength = max instanceof Number ? ((Number) max).longValue() : -1;
        this.fifo = maxPriority == null ? new ArrayDeque<>() : null;
        this.byPriority = maxPriority == null ? null : new PriorityQueue<>(PRIORITY_ORDER);
    }

    void put(StoredMessage m, boolean front) {
        // Outside the lock, and the clock only read when the message can expire at all.
        long expires = expiry(m);
        synchronized (this) {
            if (fifo != null) {
                // Order is the deque's: the sequence numbers only break priority ties.
                Object e = expires == Long.MAX_VALUE ? m : new Entry(m, 0, 0, expires);
                if (front) {
                    fifo.addFirst(e);
                } else {
                    fifo.addLast(e);
                }
            } else {
                int prio = Math.max(0, Math.min(maxPriority, m.content().priority()));
                byPriority.add(new Entry(m, front ? --headSeq : ++tailSeq, prio, expires));
            }
            if (maxLength >= 0) {
                while (size() > maxLength) {
                    removeHead();
                }
            }
        }
        for (Runnable w : watchers) {
            w.run();
        }
    }

    private long expiry(StoredMessage m) {
        long ttl = ttlNanos;
        Object exp = m.content().properties().get("expiration");
        if (exp == null && ttl < 0) {
            return Long.MAX_VALUE;
        }
        if (exp != null) {
            try {
                long per = Long.parseLong(String.valueOf(exp).trim()) * 1_000_000L;
                ttl = ttl < 0 ? per : Math.min(ttl, per);
            } catch (NumberFormatException ignored) {
                // Not a number of milliseconds: AMQP would refuse it; here it simply does not expire.
            }
        }
        return ttl < 0 ? Long.MAX_VALUE : System.nanoTime() + ttl;
    }

    synchronized @Nullable StoredMessage poll() {
        long now = 0;
        while (true) {
            Object o = removeHead();
            if (o == null) {
                return null;
            }
            if (o instanceof StoredMessage sm) {
                return sm;
            }
            Entry e = (Entry) o;
            if (e.expiresAtNanos == Long.MAX_VALUE) {
                return e.message;
            }
            if (now == 0) {
                now = System.nanoTime();
            }
            if (e.expiresAtNanos - now > 0) {
                return e.message;
            }
        }
    }

    private @Nullable Object removeHead() {
        return fifo != null ? fifo.pollFirst() : byPriority.poll();
    }

    synchronized long size() {
        return fifo != null ? fifo.size() : byPriority.size();
    }

    synchronized long purge() {
        long n = size();
        if (fifo != null) {
            fifo.clear();
        } else {
            byPriority.clear();
        }
        return n;
    }
}
