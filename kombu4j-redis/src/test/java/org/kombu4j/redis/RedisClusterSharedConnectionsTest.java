package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.testkit.brokers.PrivateRedisCluster;

/**
 * Issue 18: a {@code layout=queue} connection holds one command and one event connection per master, however
 * many queues it publishes to and consumes from — counted on each node with {@code CLIENT LIST}.
 */
class RedisClusterSharedConnectionsTest {
    private static final int MASTERS = 3;
    private static PrivateRedisCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new PrivateRedisCluster(MASTERS, 0);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void twoHundredFiftyQueuesUseTwoConnectionsPerMaster() throws Exception {
        String stem = "cl.many." + UUID.randomUUID().toString().substring(0, 8);
        int n = 250;
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(stem + "." + i);
        }
        Map<Integer, Integer> before = clientsPerNode();
        try (Connection c = Connection.open(cluster.url("?layout=queue"))) {
            Map<String, Integer> got = new ConcurrentHashMap<>();
            List<String> threads = new CopyOnWriteArrayList<>();
            c.consumer(names.stream().map(Queue::of).toArray(Queue[]::new)).prefetch(1000).onMessage((body, m) -> {
                got.merge(m.deliveryInfo().queue(), 1, Integer::sum);
                threads.add(Thread.currentThread().getName());
                m.ack();
            }).consume();
            for (String q : names) {
                c.producer().publish(q + ":0", q);
                c.producer().publish(q + ":1", q);
            }
            drain(c, () -> total(got) >= 2 * n, 30_000);
            drain(c, () -> false, 200);
            assertThat(got).as("queues delivered from").hasSize(n);
            assertThat(got.values()).as("messages per queue").containsOnly(2);
            assertThat(threads).containsOnly(Thread.currentThread().getName());

            Map<Integer, Integer> during = clientsPerNode();
            int added = 0;
            for (Map.Entry<Integer, Integer> e : during.entrySet()) {
                int mine = e.getValue() - before.getOrDefault(e.getKey(), 0);
                assertThat(mine).as("connections of this Connection on node %d", e.getKey()).isLessThanOrEqualTo(2);
                added += mine;
            }
            assertThat(added).as("connections of this Connection to the cluster (%d queues)", n)
                    .isGreaterThanOrEqualTo(MASTERS).isLessThanOrEqualTo(2 * MASTERS);
            for (String q : names) {
                c.channel().deleteQueue(q);
            }
        }
    }

    /**
     * Cancelling a consumer drops its tracking prefixes, which Redis does only by switching tracking off on the
     * (shared) event connection: the other queues on that master must still wake their consumer afterwards.
     */
    @Test
    void aCancelLeavesTheOtherQueuesOfTheMasterAwake() throws Exception {
        String stem = "cl.cancel." + UUID.randomUUID().toString().substring(0, 8);
        List<String> sameMaster = new ArrayList<>();
        int master = -1;
        for (int i = 0; sameMaster.size() < 2; i++) {
            assertThat(i).as("names tried").isLessThan(1000);
            String name = stem + "." + i;
            int m = cluster.masterOf(cluster.keySlot("{" + name + "}"));
            if (master < 0) {
                master = m;
            }
            if (m == master) {
                sameMaster.add(name);
            }
        }
        String kept = sameMaster.get(0);
        String cancelled = sameMaster.get(1);
        try (Connection c = Connection.open(cluster.url("?layout=queue"))) {
            List<Object> got = new CopyOnWriteArrayList<>();
            c.consumer(Queue.of(kept)).onMessage((body, m) -> {
                got.add(body);
                m.ack();
            }).consume();
            Consumer other = c.consumer(Queue.of(cancelled)).onMessage((body, m) -> m.ack()).consume();
            c.producer().publish("first", kept);
            drain(c, () -> got.size() >= 1, 15_000);
            assertThat(got).containsExactly("first");
            other.cancel();
            drain(c, () -> false, 300); // the sync re-tracks the shared connection
            c.producer().publish("second", kept);
            drain(c, () -> got.size() >= 2, 5_000);
            assertThat(got).as("woken after the other queue's cancel").containsExactly("first", "second");
            // And once more, long after the sweep that followed the cancel: only a wake-up can deliver it.
            drain(c, () -> false, 500);
            c.producer().publish("third", kept);
            drain(c, () -> got.size() >= 3, 5_000);
            assertThat(got).containsExactly("first", "second", "third");
            c.channel().deleteQueue(kept);
            c.channel().deleteQueue(cancelled);
        }
    }

    /** Drained over queues on several masters, then registered with a user's Hub: deliveries go on, on the hub thread. */
    @Test
    void aHubAfterDrainingOverSeveralMastersTakesOver() throws Exception {
        String stem = "cl.move." + UUID.randomUUID().toString().substring(0, 8);
        List<String> names = new ArrayList<>();
        Set<Integer> masters = new java.util.HashSet<>();
        for (int i = 0; masters.size() < MASTERS; i++) {
            assertThat(i).as("names tried").isLessThan(1000);
            String name = stem + "." + i;
            if (masters.add(cluster.masterOf(cluster.keySlot("{" + name + "}")))) {
                names.add(name);
            }
        }
        List<Object> got = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        try (Hub hub = new Hub(); Connection c = Connection.open(cluster.url("?layout=queue"))) {
            c.consumer(names.stream().map(Queue::of).toArray(Queue[]::new)).onMessage((body, m) -> {
                threads.add(Thread.currentThread().getName());
                got.add(body);
                m.ack();
            }).consume();
            for (String q : names) {
                c.producer().publish(q + ":drained", q);
            }
            drain(c, () -> got.size() >= names.size(), 15_000);
            assertThat(got).hasSize(names.size());
            c.registerWithEventLoop(hub);
            Thread loop = new Thread(hub::runForever, "cluster-user-hub");
            loop.start();
            try {
                for (String q : names) {
                    c.producer().publish(q + ":hub", q);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (got.size() < 2 * names.size() && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(got).hasSize(2 * names.size());
                assertThat(threads.subList(names.size(), threads.size())).containsOnly("cluster-user-hub");
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.drainEvents(Duration.ofMillis(10)))
                        .isInstanceOf(IllegalStateException.class);
            } finally {
                hub.stop();
                loop.join(5000);
            }
            for (String q : names) {
                c.channel().deleteQueue(q);
            }
        }
    }

    private static int total(Map<String, Integer> got) {
        return got.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static void drain(Connection c, BooleanSupplier done, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(50));
        }
    }

    /** Clients of each node named kombu4j* (ours; not this test's own), by port. */
    private static Map<Integer, Integer> clientsPerNode() {
        Map<Integer, Integer> out = new LinkedHashMap<>();
        for (int port : cluster.ports()) {
            try (RedisConnection node = RedisConnection.open(new RedisEndpoint("127.0.0.1", port, null, null, 0,
                    Duration.ofSeconds(2), Duration.ofSeconds(5)), true, "test-client-list")) {
                String list = Resp.text(node.call(List.of("CLIENT", "LIST")));
                int count = 0;
                for (String line : list.split("\n")) {
                    Map<String, String> fields = new HashMap<>();
                    for (String f : line.trim().split(" ")) {
                        int eq = f.indexOf('=');
                        if (eq > 0) {
                            fields.put(f.substring(0, eq), f.substring(eq + 1));
                        }
                    }
                    if (fields.getOrDefault("name", "").startsWith("kombu4j")) {
                        count++;
                    }
                }
                out.put(port, count);
            }
        }
        return out;
    }
}
