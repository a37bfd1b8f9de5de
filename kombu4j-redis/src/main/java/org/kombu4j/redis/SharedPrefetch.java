package org.kombu4j.redis;

import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * One prefetch limit over several {@link RedisChannel}s: the queue channels of one
 * {@code layout=queue} cluster channel, each in its own namespace, which together must hold no more
 * unsettled deliveries than the channel's {@code qos}. Each member reserves only the room the sum of
 * all members' held and reserved messages leaves; room freed in one member wakes the members whose pop
 * stopped for want of it. Exact while the members pop on one thread (a drain or a Hub), as their event
 * sides do.
 *
 * <p>Both operations are O(1) in the number of members (issue 18): the sum is kept as a running count
 * that each member's {@link UnackedDeliveries} adjusts as it reserves, releases, holds and settles, and
 * only the members that starved are woken. Walking every member instead — for each pop's reservation,
 * and for each starved member woken by each released reservation — made a delivery cost O(queues), up
 * to O(queues²), which on 300 queues was most of the client's CPU.
 */
final class SharedPrefetch {
    private final List<RedisChannel> members = new CopyOnWriteArrayList<>();
    /** Acknowledged-mode messages held or reserved by all members together. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Members whose pop stopped for want of room, to wake when room is made. */
    private final Set<RedisChannel> starved = ConcurrentHashMap.newKeySet();
    /** Members visited by {@link #capacityFreed}, for tests: must not grow with the number of members. */
    private final LongAdder visits = new LongAdder();
    private volatile int prefetchCount;

    void add(RedisChannel member) {
        members.add(member);
    }

    void remove(RedisChannel member) {
        members.remove(member);
        starved.remove(member);
    }

    void setPrefetchCount(int prefetchCount) {
        this.prefetchCount = prefetchCount;
    }

    /** A member's held or reserved messages changed by {@code delta}. */
    void adjust(int delta) {
        if (delta != 0) {
            inFlight.addAndGet(delta);
        }
    }

    /** The acknowledged-mode messages all members may still take; {@link Integer#MAX_VALUE} if unlimited. */
    int room() {
        int limit = prefetchCount;
        if (limit <= 0) {
            return Integer.MAX_VALUE;
        }
        return Math.max(0, limit - inFlight.get());
    }

    /**
     * {@code member}'s pop stopped for want of room: the next {@link #capacityFreed} wakes it. Called before
     * the member looks at the room again, so room made in between is not missed.
     */
    void starved(RedisChannel member) {
        starved.add(member);
    }

    /** {@code from} (null: unknown) made room: every other member's pop that stopped for want of it runs again. */
    void capacityFreed(@Nullable RedisChannel from) {
        if (starved.isEmpty()) {
            return;
        }
        for (Iterator<RedisChannel> it = starved.iterator(); it.hasNext();) {
            RedisChannel m = it.next();
            it.remove(); // from itself is woken by its caller
            if (m != from) {
                visits.increment();
                m.popper().capacityFreed();
            }
        }
    }

    /** Members woken so far by {@link #capacityFreed} (tests). */
    long visits() {
        return visits.sum();
    }

    /** Members waiting for room (tests). */
    int starvedCount() {
        return starved.size();
    }

    /** Held and reserved messages of all members (tests). */
    int inFlight() {
        return inFlight.get();
    }
}
