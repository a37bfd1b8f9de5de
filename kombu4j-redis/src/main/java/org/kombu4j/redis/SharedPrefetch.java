package org.kombu4j.redis;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * <p>Room made wakes the starved members in the order they starved, only as many as the room could serve
 * ({@code room / BATCH}, at least one), not all: a pop reserves up to a whole batch, so of many members
 * woken at once the first took the room and the others starved again, each time room was made (a
 * thundering herd, O(starved members) per delivery). A woken member that has nothing to pop passes the
 * wake-up on ({@link ListPopper}); one that pops makes room again when its reply or its acks come.
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
    /** Members whose pop stopped for want of room, in that order, to wake when room is made. */
    private final ConcurrentLinkedQueue<RedisChannel> starvedOrder = new ConcurrentLinkedQueue<>();
    /** The members in {@link #starvedOrder}, so that one is queued once. */
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
        starvedOrder.remove(member);
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
        if (starved.add(member)) {
            starvedOrder.add(member);
        }
    }

    /**
     * {@code from} (null: unknown) made room: the longest-starved other members are woken, as many as the
     * room could serve. {@code from} itself is woken by its caller.
     */
    void capacityFreed(@Nullable RedisChannel from) {
        if (starved.isEmpty()) {
            return;
        }
        int r = room();
        int budget = r == Integer.MAX_VALUE ? Integer.MAX_VALUE : Math.max(1, (r + ListPopper.BATCH - 1) / ListPopper.BATCH);
        while (budget > 0) {
            RedisChannel m = starvedOrder.poll();
            if (m == null) {
                return;
            }
            starved.remove(m);
            if (m == from) {
                continue;
            }
            visits.increment();
            if (m.popper().capacityFreed()) {
                budget--; // one that was not starved any more (woken by its own ack) does not count
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
