package org.kombu4j.transport.virtual;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Prefetch accounting and unacknowledged-message bookkeeping for one channel of an emulated
 * transport. Entries keep delivery order, so a restore puts messages back in the order they were
 * taken. Thread-safe: every method synchronizes on the QoS itself, so a caller holding its monitor
 * makes several calls one atomic step.
 *
 * <p>Delivery tags normally grow with each append, and acks mostly come in delivery order: the entries then
 * live in two parallel arrays sorted by tag (a ring), found by binary search, with no boxing or map node per
 * delivery. Slots of entries settled out of order stay behind as holes until the oldest entry goes, and are
 * compacted away when they outnumber the entries. Should a tag ever arrive out of order, the bookkeeping moves
 * to an insertion-ordered map for good, so the behaviour is the same for any tags.
 *
 * <p><b>Reservations.</b> A transport that fetches messages asynchronously (a pop whose reply is still on
 * the wire) must count them against the prefetch limit before they arrive, or a second fetch sent meanwhile
 * overshoots it. {@link #reserve} grants up to the free capacity, {@link #appendReserved} turns one granted
 * unit into an entry, and {@link #release} returns the units a fetch did not use. Reserved units count as
 * taken in {@link #capacity()} and {@link #canConsume()}, so prefetch stays an exact bound.
 *
 * @param <E> what the transport needs to restore a message
 */
public final class QoS<E> {
    private static final int INITIAL = 16;

    private long[] tags = new long[INITIAL];
    private @Nullable Object[] entries = new Object[INITIAL];
    private int head; // index of the oldest slot
    private int slots; // slots in use from head, holes included
    private int live; // entries that are not holes
    private @Nullable Map<Long, E> fallback; // once a tag came out of order
    private int prefetchCount;
    private int reserved; // granted by reserve(), not yet appended or released

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
        return prefetchCount == 0 || size() + reserved < prefetchCount;
    }

    /** How many more deliveries fit, reservations counted as taken; {@link Integer#MAX_VALUE} when unlimited. */
    public synchronized int capacity() {
        return prefetchCount == 0 ? Integer.MAX_VALUE : Math.max(0, prefetchCount - size() - reserved);
    }

    /**
     * Reserves room for up to {@code max} deliveries not yet received: at most the free {@link #capacity()}.
     * Each granted unit must later be either {@link #appendReserved appended} or {@link #release released}.
     *
     * @return how many were granted, 0 when the channel is full
     */
    public synchronized int reserve(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("cannot reserve " + max);
        }
        int granted = Math.min(max, capacity());
        reserved += granted;
        return granted;
    }

    /** {@link #append Appends} an entry in the room of one unit granted by {@link #reserve}. */
    public synchronized void appendReserved(long deliveryTag, E entry) {
        if (reserved == 0) {
            throw new IllegalStateException("no reservation to append delivery " + deliveryTag + " in");
        }
        reserved--;
        append(deliveryTag, entry);
    }

    /** Returns {@code unused} units granted by {@link #reserve} that will not be appended. */
    public synchronized void release(int unused) {
        if (unused < 0 || unused > reserved) {
            throw new IllegalArgumentException("cannot release " + unused + " of " + reserved + " reserved");
        }
        reserved -= unused;
    }

    /** Units granted by {@link #reserve} and neither appended nor released yet. */
    public synchronized int reserved() {
        return reserved;
    }

    public synchronized void append(long deliveryTag, E entry) {
        Map<Long, E> map = fallback;
        if (map != null) {
            map.put(deliveryTag, entry);
            return;
        }
        if (slots > 0 && deliveryTag <= tags[index(slots - 1)]) {
            // Out of order (or a repeated tag, which replaces in place as a map would).
            map = new LinkedHashMap<>();
            for (int i = 0; i < slots; i++) {
                int k = index(i);
                if (entries[k] != null) {
                    map.put(tags[k], entry(k));
                }
            }
            map.put(deliveryTag, entry);
            fallback = map;
            clearRing();
            return;
        }
        if (slots == tags.length) {
            resize(live > slots / 2 ? tags.length * 2 : tags.length);
        }
        int k = index(slots++);
        tags[k] = deliveryTag;
        entries[k] = entry;
        live++;
    }

    /** Removes and returns the entry for a tag, or null if the tag is not (or no longer) unacknowledged. */
    public synchronized @Nullable E remove(long deliveryTag) {
        Map<Long, E> map = fallback;
        if (map != null) {
            return map.remove(deliveryTag);
        }
        if (live == 0) {
            return null;
        }
        int k;
        if (tags[head] == deliveryTag) {
            k = head; // acks usually come oldest first
        } else {
            int i = find(deliveryTag);
            if (i < 0) {
                return null;
            }
            k = index(i);
        }
        E e = entry(k);
        if (e == null) {
            return null; // a hole: settled already
        }
        entries[k] = null;
        live--;
        while (slots > 0 && entries[head] == null) {
            head = (head + 1) & (tags.length - 1);
            slots--;
        }
        if (slots > 64 && slots - live > 2 * live) {
            resize(tags.length);
        }
        return e;
    }

    public synchronized int size() {
        Map<Long, E> map = fallback;
        return map != null ? map.size() : live;
    }

    /** Removes and returns every entry, oldest delivery first. */
    public synchronized List<E> drain() {
        Map<Long, E> map = fallback;
        if (map != null) {
            List<E> all = new ArrayList<>(map.values());
            map.clear();
            return all;
        }
        List<E> all = new ArrayList<>(live);
        for (int i = 0; i < slots; i++) {
            int k = index(i);
            if (entries[k] != null) {
                all.add(entry(k));
            }
        }
        clearRing();
        return all;
    }

    private int index(int i) {
        return (head + i) & (tags.length - 1);
    }

    @SuppressWarnings("unchecked")
    private @Nullable E entry(int k) {
        return (E) entries[k];
    }

    /** The position from head of {@code tag} (tags are ascending from head), or -1. */
    private int find(long tag) {
        int lo = 0;
        int hi = slots - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long t = tags[index(mid)];
            if (t < tag) {
                lo = mid + 1;
            } else if (t > tag) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Copies the live entries, in order and without holes, into arrays of {@code capacity} (a power of two). */
    private void resize(int capacity) {
        long[] newTags = new long[capacity];
        Object[] newEntries = new Object[capacity];
        int n = 0;
        for (int i = 0; i < slots; i++) {
            int k = index(i);
            if (entries[k] != null) {
                newTags[n] = tags[k];
                newEntries[n++] = entries[k];
            }
        }
        tags = newTags;
        entries = newEntries;
        head = 0;
        slots = n;
        live = n;
    }

    private void clearRing() {
        if (tags.length > INITIAL) {
            tags = new long[INITIAL];
            entries = new Object[INITIAL];
        } else {
            Arrays.fill(entries, null);
        }
        head = 0;
        slots = 0;
        live = 0;
    }
}
