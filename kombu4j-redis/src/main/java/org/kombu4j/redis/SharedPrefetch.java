package org.kombu4j.redis;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * One prefetch limit over several {@link RedisChannel}s: the queue channels of one
 * {@code layout=queue} cluster channel, each in its own namespace, which together must hold no more
 * unsettled deliveries than the channel's {@code qos}. Each member reserves only the room the sum of
 * all members' held and reserved messages leaves; room freed in one member wakes every member's
 * starved pop. Exact while the members pop on one thread (a drain or a Hub), as their event sides do.
 */
final class SharedPrefetch {
    private final List<RedisChannel> members = new CopyOnWriteArrayList<>();
    private volatile int prefetchCount;

    void add(RedisChannel member) {
        members.add(member);
    }

    void remove(RedisChannel member) {
        members.remove(member);
    }

    void setPrefetchCount(int prefetchCount) {
        this.prefetchCount = prefetchCount;
    }

    /** The acknowledged-mode messages all members may still take; {@link Integer#MAX_VALUE} if unlimited. */
    int room() {
        int limit = prefetchCount;
        if (limit <= 0) {
            return Integer.MAX_VALUE;
        }
        long taken = 0;
        for (RedisChannel m : members) {
            taken += m.unackedInFlight();
        }
        return (int) Math.max(0, limit - taken);
    }

    /** {@code from} (null: unknown) made room: every other member's pop that stopped for want of it runs again. */
    void capacityFreed(@Nullable RedisChannel from) {
        for (RedisChannel m : members) {
            if (m != from) {
                m.popper().capacityFreed();
            }
        }
    }
}
