package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.PrivateRedisCluster;

/**
 * Issue 18: on a {@code layout=queue} cluster channel consuming many queues, one prefetch limit is shared by
 * one queue channel per queue ({@link SharedPrefetch}). A delivery must cost about the same with 300 queues as
 * with 3: the limit is a running count, not a walk over the queue channels, and room made wakes only the
 * queue channels whose pop starved — counted here by {@link SharedPrefetch#visits()}, deterministic, not timed.
 */
class RedisClusterSharedPrefetchTest {
    private static PrivateRedisCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new PrivateRedisCluster(3, 0);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Before the fix, every pop's unused reservation woke all 299 other queue channels, each walking all 300 to
     * find the room (hundreds of visits per delivery, most of the CPU); now only the starved are woken.
     */
    @Test
    void aDeliveryOverThreeHundredQueuesWakesAFewQueueChannelsNotAll() throws Exception {
        int n = 300;
        List<String> names = names("cl.spf", n);
        try (Connection c = Connection.open(cluster.url("?layout=queue"))) {
            AtomicInteger got = new AtomicInteger();
            c.consumer(names.stream().map(Queue::of).toArray(Queue[]::new)).prefetch(100).onMessage((body, m) -> {
                got.incrementAndGet();
                m.ack();
            }).consume();
            SharedPrefetch shared = shared(c);
            // The first sweep of every queue: each queue channel pops once, most of them after starving.
            drain(c, () -> false, 300);
            drain(c, () -> shared.starvedCount() == 0 && shared.inFlight() == 0, 10_000);
            long before = shared.visits();
            int messages = 200;
            for (int i = 0; i < messages; i++) {
                // One at a time, as in the latency benchmark: each delivery is a wake-up, a pop and an ack.
                c.producer().publish("m" + i, names.get((i * 7) % n));
                int want = i + 1;
                drain(c, () -> got.get() >= want, 10_000);
                assertThat(got.get()).as("delivered after publish %d", i).isEqualTo(want);
            }
            long visits = shared.visits() - before;
            assertThat(visits).as("queue channels woken for %d deliveries over %d queues", messages, n)
                    .isLessThanOrEqualTo(2L * messages);
            drain(c, () -> shared.inFlight() == 0, 5_000);
            assertThat(shared.inFlight()).as("held or reserved after every message was acked").isZero();
            for (String q : names) {
                c.channel().deleteQueue(q);
            }
        }
    }

    /**
     * With prefetch 1 over many queues nearly every pop starves for want of room: each must be woken by the ack
     * that frees it (none lost), and only those starved are visited.
     */
    @Test
    void prefetchOneOverManyQueuesDeliversEveryMessage() throws Exception {
        int n = 60;
        List<String> names = names("cl.spf1", n);
        try (Connection c = Connection.open(cluster.url("?layout=queue"))) {
            AtomicInteger got = new AtomicInteger();
            c.consumer(names.stream().map(Queue::of).toArray(Queue[]::new)).prefetch(1).onMessage((body, m) -> {
                got.incrementAndGet();
                m.ack();
            }).consume();
            drain(c, () -> false, 200);
            for (int round = 0; round < 3; round++) {
                for (String q : names) {
                    c.producer().publish(q + ":" + round, q); // a burst: every queue has a message at once
                }
            }
            drain(c, () -> got.get() >= 3 * n, 30_000);
            assertThat(got.get()).as("delivered").isEqualTo(3 * n);
            drain(c, () -> shared(c).inFlight() == 0, 5_000);
            assertThat(shared(c).inFlight()).as("held or reserved after every message was acked").isZero();
            for (String q : names) {
                c.channel().deleteQueue(q);
            }
        }
    }

    private static List<String> names(String stem, int n) {
        String s = stem + "." + UUID.randomUUID().toString().substring(0, 8);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s + "." + i);
        }
        return out;
    }

    /** The shared prefetch of the channel consuming (the one with the most queue channels). */
    private static SharedPrefetch shared(Connection c) {
        ClusterQueueTransport t = (ClusterQueueTransport) c.transport();
        ClusterQueueChannel best = null;
        for (ClusterQueueChannel ch : t.channels()) {
            if (best == null || ch.queueCount() > best.queueCount()) {
                best = ch;
            }
        }
        assertThat(best).as("a layout=queue channel").isNotNull();
        return best.sharedPrefetch();
    }

    private static void drain(Connection c, BooleanSupplier done, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(50));
        }
    }
}
