package org.kombu4j.transport.virtual;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Prefetch accounting and unacknowledged-message bookkeeping for one channel of an emulated
 * transport. Entries keep delivery order, so a restore puts messages back in the order they were
 * taken. Thread-safe.
 *
 * @param <E> what the transport needs to restore a message
 */
public final class QoS<E> {
    private final Map<Long, E> unacked = new LinkedHashMap<>();
    private int prefetchCount;

    /** 0 means unlimited. */
    public synchronized void setPrefetchCount(int prefetchCount) {
        if (prefetchCount < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0, got " + prefetchCount);
        }
        this.prefetchCount = prefetchCount;
    }

    public synchronized int prefetchCount() {
        return prefetchCount;
    }

    /** Whether another acknowledged-mode delivery fits under the prefetch limit. */
    public synchronized boolean canConsume() {
        return prefetchCount == 0 || unacked.size() < prefetchCount;
    }

    /** How many more deliveries fit; {@link Integer#MAX_VALUE} when unlimited. */
    public synchronized int capacity() {
        return prefetchCount == 0 ? Integer.MAX_VALUE : Math.max(0, prefetchCount - unacked.size());
    }

    public synchronized void append(long deliveryTag, E entry) {
        unacked.put(deliveryTag, entry);
    }

    /** Removes and returns the entry for a tag, or null if the tag is not (or no longer) unacknowledged. */
    public synchronized @Nullable E remove(long deliveryTag) {
        return unacked.remove(deliveryTag);
    }

    public synchronized int size() {
        return unacked.size();
    }

    /** Removes and returns every entry, oldest delivery first. */
    public synchronized List<E> drain() {
        List<E> all = new ArrayList<>(unacked.values());
        unacked.clear();
        return all;
    }
}
