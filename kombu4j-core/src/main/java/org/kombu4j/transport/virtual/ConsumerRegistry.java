package org.kombu4j.transport.virtual;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;
import org.kombu4j.transport.DeliveryHandler;

/**
 * The consumers of one channel of an emulated transport: their tags (a made-up {@code ctag-N} when
 * the caller gives none), the duplicate-tag check, cancel, and which consumer of a queue takes the
 * next message (round-robin). Every emulated transport keeps its consumers here, so consume,
 * cancel and dispatch behave alike on each of them.
 *
 * <p>Thread-safe: each method is one atomic step under the registry's own monitor, which is never
 * held while calling out (no handler, no broker call), so it can be taken under any other lock.
 */
public final class ConsumerRegistry {
    private final Map<String, Registration> byTag = new HashMap<>();
    /** Every registration in consume order: the rotation {@link #next()} walks. */
    private final List<Registration> order = new ArrayList<>();
    /** Consumers per queue, queues in first-consumed order. */
    private final Map<String, QueueConsumers> byQueue = new LinkedHashMap<>();
    private long generatedTags;
    private int rotation;
    private int noAckConsumers;

    /**
     * One consumer: its tag, the queue it consumes, whether its deliveries need no acknowledgement,
     * and the handler they go to.
     */
    public record Registration(String tag, String queue, boolean noAck, DeliveryHandler handler) {
    }

    /**
     * What {@link #cancel} removed, and whether it was the queue's last consumer (so the transport
     * stops watching the queue).
     */
    public record Cancelled(Registration registration, boolean lastOnQueue) {
    }

    private static final class QueueConsumers {
        final List<Registration> consumers = new ArrayList<>(1);
        int next;
        int noAck;
    }

    /**
     * Registers a consumer of {@code queue}.
     *
     * @param tag the consumer tag, or null for a made-up {@code ctag-N} not in use on this channel
     * @throws KombuException if {@code tag} is in use already
     */
    public synchronized Registration add(String queue, @Nullable String tag, boolean noAck, DeliveryHandler handler) {
        String t = tag;
        if (t == null) {
            do {
                t = "ctag-" + ++generatedTags;
            } while (byTag.containsKey(t));
        } else if (byTag.containsKey(t)) {
            throw new KombuException("consumer tag '" + t + "' is already in use on this channel");
        }
        Registration r = new Registration(t, queue, noAck, handler);
        byTag.put(t, r);
        order.add(r);
        QueueConsumers qc = byQueue.computeIfAbsent(queue, q -> new QueueConsumers());
        qc.consumers.add(r);
        if (noAck) {
            qc.noAck++;
            noAckConsumers++;
        }
        return r;
    }

    /** Removes the consumer with {@code tag}; null if there is none. */
    public synchronized @Nullable Cancelled cancel(String tag) {
        Registration r = byTag.remove(tag);
        if (r == null) {
            return null;
        }
        int i = order.indexOf(r);
        order.remove(i);
        if (i < rotation) {
            rotation--; // the rotation goes on with the consumer that was next
        }
        QueueConsumers qc = byQueue.get(r.queue());
        int j = qc.consumers.indexOf(r);
        qc.consumers.remove(j);
        if (j < qc.next) {
            qc.next--;
        }
        if (r.noAck()) {
            qc.noAck--;
            noAckConsumers--;
        }
        boolean last = qc.consumers.isEmpty();
        if (last) {
            byQueue.remove(r.queue());
        }
        return new Cancelled(r, last);
    }

    /** The consumer of {@code queue} whose turn it is (round-robin), or null if the queue has none. */
    public synchronized @Nullable Registration next(String queue) {
        QueueConsumers qc = byQueue.get(queue);
        if (qc == null) {
            return null;
        }
        List<Registration> cs = qc.consumers;
        if (qc.next >= cs.size()) {
            qc.next = 0;
        }
        return cs.get(qc.next++);
    }

    /**
     * The next consumer of any queue, taking every consumer in turn in consume order, or null if
     * there is none: for a transport that polls each consumer's queue in turn.
     */
    public synchronized @Nullable Registration next() {
        int n = order.size();
        if (n == 0) {
            return null;
        }
        if (rotation >= n) {
            rotation = 0;
        }
        return order.get(rotation++);
    }

    /** Whether {@code registration} is still registered (it was not cancelled, nor the registry cleared). */
    public synchronized boolean isActive(Registration registration) {
        return byTag.get(registration.tag()) == registration;
    }

    /** The consumer with {@code tag}, or null. */
    public synchronized @Nullable Registration get(String tag) {
        return byTag.get(tag);
    }

    /** The queues consumed, each once, in first-consumed order. */
    public synchronized List<String> queues() {
        return new ArrayList<>(byQueue.keySet());
    }

    /** Adds this registry's consumers per queue to {@code into} (queue → consumers), for the clients' statistics. */
    public synchronized void countByQueue(Map<String, Integer> into) {
        for (Map.Entry<String, QueueConsumers> e : byQueue.entrySet()) {
            into.merge(e.getKey(), e.getValue().consumers.size(), Integer::sum);
        }
    }

    /** Whether some consumer consumes {@code queue}. */
    public synchronized boolean consumes(String queue) {
        return byQueue.containsKey(queue);
    }

    /**
     * Whether every consumer of {@code queue} is in no-ack mode, so a message taken for it needs no
     * unacknowledged record. False for a queue without consumers.
     */
    public synchronized boolean noAck(String queue) {
        QueueConsumers qc = byQueue.get(queue);
        return qc != null && qc.noAck == qc.consumers.size();
    }

    /** Whether some consumer is in no-ack mode (its deliveries do not count against prefetch). */
    public synchronized boolean anyNoAck() {
        return noAckConsumers > 0;
    }

    public synchronized boolean isEmpty() {
        return byTag.isEmpty();
    }

    /** How many consumers are registered. */
    public synchronized int size() {
        return byTag.size();
    }

    /** Removes every consumer; returns the queues that had consumers, in first-consumed order. */
    public synchronized List<String> clear() {
        List<String> queues = new ArrayList<>(byQueue.keySet());
        byTag.clear();
        order.clear();
        byQueue.clear();
        rotation = 0;
        noAckConsumers = 0;
        return queues;
    }
}
