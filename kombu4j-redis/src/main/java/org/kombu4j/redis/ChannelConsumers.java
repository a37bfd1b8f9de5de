package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.kombu4j.transport.DeliveryHandler;
import org.kombu4j.transport.virtual.ConsumerRegistry;

/**
 * What one {@link RedisChannel} consumes: its consumers (a core {@link ConsumerRegistry}) and, per
 * queue, how the messages arrive — from the queue's lists (woken by tracking invalidations, taken by
 * the pop script) or by pub/sub when the queue is bound to fanout exchanges, as Kombu does.
 *
 * <p>Maintained per queue on consume, cancel, bind and unbind (never rebuilt whole), so 10,000 consume
 * calls stay linear. Thread-safe: every method is atomic under this object's monitor, which is never
 * held while calling out; {@link #queueOfKey} reads without it, for the event thread's pushes.
 */
final class ChannelConsumers {
    private final Keys keys;
    private final ConsumerRegistry registry = new ConsumerRegistry();
    /** Queue → the fanout exchanges it is consumed from (by pub/sub, not from its lists). */
    private final Map<String, Set<String>> fanoutByQueue = new HashMap<>();
    /** Every priority list of every queue consumed from lists, to its queue. */
    private final Map<String, String> watchedKeys = new ConcurrentHashMap<>();
    /** Queues newly consumed from lists since the last subscription sync: popped right after it. */
    private final Set<String> addedQueues = new LinkedHashSet<>();
    private @Nullable List<String> listQueuesSnapshot;

    ChannelConsumers(Keys keys) {
        this.keys = keys;
    }

    /**
     * Registers a consumer of {@code queue}, which the fanout exchanges {@code fanout} are bound to.
     *
     * @return the consumer tag (made up when {@code tag} is null)
     */
    synchronized String add(String queue, @Nullable String tag, boolean noAck, DeliveryHandler handler, Set<String> fanout) {
        ConsumerRegistry.Registration r = registry.add(queue, tag, noAck, handler);
        if (!fanout.isEmpty()) {
            fanoutByQueue.computeIfAbsent(queue, q -> new HashSet<>()).addAll(fanout);
        }
        updateWatch(queue);
        return r.tag();
    }

    /** Removes the consumer with {@code tag}; null if there is none. */
    synchronized ConsumerRegistry.@Nullable Cancelled cancel(String tag) {
        ConsumerRegistry.Cancelled c = registry.cancel(tag);
        if (c != null && c.lastOnQueue()) {
            fanoutByQueue.remove(c.registration().queue());
            updateWatch(c.registration().queue());
        }
        return c;
    }

    /** A fanout exchange was bound to {@code queue}: returns whether a consumed queue now also takes it. */
    synchronized boolean fanoutBound(String queue, String exchange) {
        boolean changed = registry.consumes(queue) && fanoutByQueue.computeIfAbsent(queue, q -> new HashSet<>()).add(exchange);
        updateWatch(queue);
        return changed;
    }

    /** {@code exchange} was unbound from {@code queue}: returns whether a consumed queue took it. */
    synchronized boolean fanoutUnbound(String queue, String exchange) {
        Set<String> f = fanoutByQueue.get(queue);
        return f != null && f.remove(exchange);
    }

    /** The consumer of {@code queue} whose turn it is, or null if it has none. */
    ConsumerRegistry.@Nullable Registration next(String queue) {
        return registry.next(queue);
    }

    /**
     * For each of {@code queues}, whether every consumer of it is in no-ack mode (then a pop records
     * nothing). One lock for the lot: a pop may visit 10,000 queues while consume calls go on.
     */
    synchronized boolean[] noAck(List<String> queues) {
        boolean[] out = new boolean[queues.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = registry.noAck(queues.get(i));
        }
        return out;
    }

    /** Adds the consumers per queue to {@code into}. */
    void countByQueue(java.util.Map<String, Integer> into) {
        registry.countByQueue(into);
    }

    boolean isEmpty() {
        return registry.isEmpty();
    }

    int size() {
        return registry.size();
    }

    /** Those of {@code queues} consumed from their lists (so the pop script may take from them), in order. */
    synchronized List<String> poppable(Collection<String> queues) {
        List<String> out = new ArrayList<>(queues.size());
        for (String q : queues) {
            if (registry.consumes(q) && !fanoutByQueue.containsKey(q)) {
                out.add(q);
            }
        }
        return out;
    }

    /** The queue whose list {@code key} is, if it is consumed from lists; any thread, no lock. */
    @Nullable String queueOfKey(String key) {
        return watchedKeys.get(key);
    }

    /** Queues consumed from lists, in first-consumed order. */
    synchronized List<String> listQueues() {
        List<String> out = listQueuesSnapshot;
        if (out == null) {
            out = new ArrayList<>();
            for (String q : registry.queues()) {
                if (!fanoutByQueue.containsKey(q)) {
                    out.add(q);
                }
            }
            out = Collections.unmodifiableList(out);
            listQueuesSnapshot = out;
        }
        return out;
    }

    /** The fanout exchanges some consumed queue takes messages from. */
    synchronized Set<String> fanoutExchanges() {
        Set<String> out = new HashSet<>();
        fanoutByQueue.values().forEach(out::addAll);
        return out;
    }

    /** The consumed queues that take messages from {@code exchange}, sorted. */
    synchronized List<String> fanoutQueues(String exchange) {
        List<String> queues = new ArrayList<>();
        fanoutByQueue.forEach((q, exs) -> {
            if (exs.contains(exchange)) {
                queues.add(q);
            }
        });
        Collections.sort(queues);
        return queues;
    }

    /** The queues newly consumed from lists since the last call; the sync pops them once tracking covers them. */
    synchronized List<String> takeAdded() {
        List<String> out = new ArrayList<>(addedQueues);
        addedQueues.clear();
        return out;
    }

    /** Forgets every consumer (the channel closes). */
    synchronized void clear() {
        registry.clear();
        fanoutByQueue.clear();
        watchedKeys.clear();
        addedQueues.clear();
        listQueuesSnapshot = null;
    }

    /** Brings {@link #watchedKeys} up to date for one queue (under the monitor). */
    private void updateWatch(String queue) {
        listQueuesSnapshot = null;
        boolean list = registry.consumes(queue) && !fanoutByQueue.containsKey(queue);
        for (String k : keys.queueKeys(queue)) {
            if (list) {
                if (watchedKeys.putIfAbsent(k, queue) == null && k.equals(keys.queue(queue, keys.steps().get(0)))) {
                    addedQueues.add(queue);
                }
            } else {
                watchedKeys.remove(k);
            }
        }
        if (!list) {
            addedQueues.remove(queue);
        }
    }
}
