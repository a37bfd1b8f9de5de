package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;
import org.kombu4j.testkit.brokers.PrivateRedisCluster;

/**
 * The namespace's slot is moved to another master (its keys MIGRATEd, as a reshard does) between a running
 * publisher's and consumer's messages: both follow the {@code MOVED} replies to the new master, nothing is lost.
 */
class RedisClusterMovedTest {
    private static final RetryPolicy RETRY = RetryPolicy.builder().maxRetries(100).intervalStart(Duration.ofMillis(50))
            .intervalStep(Duration.ofMillis(50)).intervalMax(Duration.ofMillis(200)).build();

    @Test
    void publisherAndIdleConsumerFollowTheSlotToItsNewMaster() throws Exception {
        try (PrivateRedisCluster cluster = new PrivateRedisCluster(3, 0)) {
            String tag = "mv" + UUID.randomUUID().toString().substring(0, 8);
            int slot = ClusterSlots.slot("{" + tag + "}");
            followTheSlot(cluster, cluster.url("?key_tag=" + tag + "&unacked_restore_interval=0.5"), Queue.of("moved.q"), slot);
        }
    }

    /** {@code layout=queue}: the queue's own slot moves; the catalog's stays where it was. */
    @Test
    void withAQueuePerNamespaceTheQueuesSlotIsFollowed() throws Exception {
        try (PrivateRedisCluster cluster = new PrivateRedisCluster(3, 0)) {
            String name = "moved." + UUID.randomUUID().toString().substring(0, 8);
            followTheSlot(cluster, cluster.url("?layout=queue&unacked_restore_interval=0.5"), Queue.of(name),
                    ClusterSlots.slot("{" + name + "}"));
        }
    }

    private static void followTheSlot(PrivateRedisCluster cluster, String url, Queue q, int slot) throws Exception {
        {
            Set<Integer> consumed = ConcurrentHashMap.newKeySet();
            Connection consumerConn = Connection.open(url);
            ConsumerLoop loop = ConsumerLoop.builder(consumerConn, c -> List.of(c.consumer(q).onMessage((body, m) -> {
                consumed.add(((Number) body).intValue());
                m.ack();
            }).build())).reconnect(RETRY).drainTimeout(Duration.ofMillis(200)).build();
            Thread consumer = new Thread(loop::run, "moved-consumer");
            consumer.start();
            PublishOptions opts = PublishOptions.builder().routingKey(q.name()).declare(q).retry(RETRY).build();
            try (Connection p = Connection.open(url)) {
                for (int i = 0; i < 20; i++) {
                    p.producer().publish(i, opts);
                }
                waitFor(() -> consumed.size() == 20, 15);
                assertThat(consumed).hasSize(20);

                int from = cluster.masterOf(slot);
                int to = cluster.ports().stream().filter(port -> port != from).findFirst().orElseThrow();
                int moved = moveSlot(cluster, slot, from, to);
                assertThat(moved).as("keys of the queue's namespace migrated").isGreaterThan(0);
                assertThat(cluster.masterOf(slot)).isEqualTo(to);

                long t0 = System.nanoTime();
                for (int i = 20; i < 40; i++) {
                    p.producer().publish(i, opts);
                }
                waitFor(() -> consumed.size() == 40, 20);
                System.out.printf("moved %d keys %d -> %d; consumer resumed in %d ms%n", moved, from, to,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            } finally {
                loop.stop();
                consumer.join(10_000);
                consumerConn.close();
            }
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                all.add(i);
            }
            assertThat(consumed).containsExactlyInAnyOrderElementsOf(all);
        }
    }

    /** Moves {@code slot} from the master on {@code from} to the one on {@code to}, keys first; returns the keys moved. */
    private static int moveSlot(PrivateRedisCluster cluster, int slot, int from, int to) {
        try (RedisConnection src = open(from); RedisConnection dst = open(to)) {
            String srcId = Resp.text(ok(src.call(List.of("CLUSTER", "MYID"))));
            String dstId = Resp.text(ok(dst.call(List.of("CLUSTER", "MYID"))));
            ok(dst.call(List.of("CLUSTER", "SETSLOT", slot, "IMPORTING", srcId)));
            ok(src.call(List.of("CLUSTER", "SETSLOT", slot, "MIGRATING", dstId)));
            int moved = 0;
            while (true) {
                List<Object> keys = Resp.array(ok(src.call(List.of("CLUSTER", "GETKEYSINSLOT", slot, 100))));
                if (keys.isEmpty()) {
                    break;
                }
                List<Object> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", to, "", 0, 5000, "KEYS"));
                migrate.addAll(keys);
                ok(src.call(migrate));
                moved += keys.size();
            }
            for (int port : cluster.ports()) {
                try (RedisConnection n = open(port)) {
                    ok(n.call(List.of("CLUSTER", "SETSLOT", slot, "NODE", dstId)));
                }
            }
            return moved;
        }
    }

    private static RedisConnection open(int port) {
        return RedisConnection.open(new RedisEndpoint("127.0.0.1", port, null, null, 0, Duration.ofSeconds(2),
                Duration.ofSeconds(5)), true, "kombu4j-test-reshard");
    }

    private static Object ok(Object reply) {
        if (reply instanceof RespError e) {
            throw new AssertionError("redis refused: " + e.message());
        }
        return reply;
    }

    private static void waitFor(java.util.function.BooleanSupplier cond, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
