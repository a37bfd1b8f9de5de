package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Message;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.testkit.brokers.PrivateRedisCluster;

/**
 * {@code layout=queue}: queues of one connection placed on every master of a 3-master cluster (their
 * slots as {@code CLUSTER KEYSLOT} says), consumed by one consumer, with each queue's list and
 * {@code unacked} records on that queue's own master.
 */
class RedisClusterQueueLayoutTest {
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

    /** Queue names, one per master of the cluster: name → port of the master serving its slot. */
    private static Map<String, Integer> onePerMaster(String stem) throws Exception {
        Map<String, Integer> byMaster = new LinkedHashMap<>();
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int i = 0; byMaster.size() < 3; i++) {
            assertThat(i).as("names tried").isLessThan(1000);
            String name = stem + "." + i;
            int slot = cluster.keySlot("{" + name + "}");
            assertThat(ClusterSlots.slot("{" + name + "}")).as("our CRC16 agrees with the cluster").isEqualTo(slot);
            int master = cluster.masterOf(slot);
            if (!byMaster.containsValue(master)) {
                byMaster.put(name, master);
                out.put(name, master);
            }
        }
        return out;
    }

    @Test
    void oneConsumerTakesFromQueuesOnEveryMaster() throws Exception {
        String stem = "cl.spread." + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Integer> queues = onePerMaster(stem);
        assertThat(new java.util.HashSet<>(queues.values())).as("masters holding the queues").hasSize(3);
        Exchange ex = Exchange.of(stem + ".ex", ExchangeType.TOPIC);
        List<Queue> qs = new ArrayList<>();
        for (String name : queues.keySet()) {
            qs.add(Queue.named(name).bind(ex, "spread.#").build());
        }
        try (Connection c = Connection.open(cluster.url("?layout=queue"))) {
            List<Message> got = new CopyOnWriteArrayList<>();
            c.consumer(qs.toArray(Queue[]::new)).prefetch(100).onMessage((body, m) -> got.add(m)).consume();
            Producer p = c.producer(ex);
            for (int i = 0; i < 10; i++) {
                p.publish(i, PublishOptions.builder().routingKey("spread." + i).build()); // to all three queues
            }
            for (String name : queues.keySet()) {
                for (int i = 0; i < 5; i++) {
                    c.producer().publish(name + ":" + i, name); // the default exchange: that queue only
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (got.size() < 45 && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(100));
            }
            c.drainEvents(Duration.ofMillis(200));
            assertThat(got).hasSize(45);
            for (String name : queues.keySet()) {
                assertThat(got.stream().filter(m -> m.deliveryInfo().queue().equals(name)).count()).as(name).isEqualTo(15);
                // Unacknowledged: recorded in that queue's own namespace, on its own master.
                try (RedisConnection master = open(queues.get(name))) {
                    assertThat(Resp.integer(master.call(List.of("HLEN", "{" + name + "}unacked")))).as("unacked of %s", name)
                            .isEqualTo(15);
                    assertThat(Resp.integer(master.call(List.of("ZCARD", "{" + name + "}unacked_index")))).isEqualTo(15);
                }
            }
            for (Message m : got) {
                m.ack();
            }
            for (String name : queues.keySet()) {
                try (RedisConnection master = open(queues.get(name))) {
                    long left = 1;
                    for (int i = 0; i < 100 && left > 0; i++) {
                        left = Resp.integer(master.call(List.of("HLEN", "{" + name + "}unacked")));
                        Thread.sleep(20);
                    }
                    assertThat(left).as("unacked of %s after the acks", name).isZero();
                }
            }
            for (Queue q : qs) {
                c.channel().deleteQueue(q.name());
            }
            c.channel().deleteExchange(ex.name());
        }
    }

    @Test
    void oneConsumerOnAHubTakesFromQueuesOnEveryMaster() throws Exception {
        Map<String, Integer> queues = onePerMaster("cl.hub." + UUID.randomUUID().toString().substring(0, 8));
        List<Object> got = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        try (Hub hub = new Hub(); Connection c = Connection.open(cluster.url("?layout=queue"));
                Connection producer = Connection.open(cluster.url("?layout=queue"))) {
            Thread loop = new Thread(hub::runForever, "cluster-hub");
            loop.start();
            try {
                c.registerWithEventLoop(hub);
                c.consumer(queues.keySet().stream().map(Queue::of).toArray(Queue[]::new)).onMessage((body, m) -> {
                    threads.add(Thread.currentThread().getName());
                    got.add(body);
                    m.ack();
                }).consume();
                for (int i = 0; i < 5; i++) {
                    for (String name : queues.keySet()) {
                        producer.producer().publish(name + ":" + i, name);
                    }
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (got.size() < 15 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(got).hasSize(15);
                assertThat(threads).containsOnly("cluster-hub");
            } finally {
                hub.stop();
                loop.join(5000);
            }
            for (String name : queues.keySet()) {
                producer.channel().deleteQueue(name);
            }
        }
    }

    @Test
    void aDeadLetterGoesToAQueueOnAnotherMaster() throws Exception {
        Map<String, Integer> queues = onePerMaster("cl.dlx." + UUID.randomUUID().toString().substring(0, 8));
        List<String> names = new ArrayList<>(queues.keySet());
        String work = names.get(0);
        String dead = names.get(1);
        assertThat(queues.get(work)).isNotEqualTo(queues.get(dead));
        Exchange dlx = Exchange.of(work + ".dlx", ExchangeType.DIRECT);
        try (Connection c = Connection.open(cluster.url("?layout=queue"))) {
            List<Message> letters = new CopyOnWriteArrayList<>();
            c.consumer(Queue.named(dead).bind(dlx, "dead").build()).onMessage((body, m) -> {
                letters.add(m);
                m.ack();
            }).consume();
            c.consumer(Queue.named(work).deadLetter(dlx.name(), "dead").build()).onMessage((body, m) -> m.reject(false)).consume();
            c.producer().publish("doomed", work);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (letters.isEmpty() && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(100));
            }
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).deliveryInfo().queue()).isEqualTo(dead);
            try (RedisConnection master = open(queues.get(work))) {
                assertThat(Resp.integer(master.call(List.of("HLEN", "{" + work + "}unacked")))).as("the original's record").isZero();
            }
            c.channel().deleteQueue(work);
            c.channel().deleteQueue(dead);
            c.channel().deleteExchange(dlx.name());
        }
    }

    /** {@code prefetch} bounds the consumer's channel, not each of its queues on their masters. */
    @Test
    void prefetchIsOneBoundOverQueuesOnSeveralMasters() throws Exception {
        Map<String, Integer> queues = onePerMaster("cl.prefetch." + UUID.randomUUID().toString().substring(0, 8));
        int n = 4;
        try (Connection c = Connection.open(cluster.url("?layout=queue"))) {
            for (String name : queues.keySet()) {
                for (int i = 0; i < 10; i++) {
                    c.producer().publish(name + ":" + i, PublishOptions.builder().routingKey(name).declare(Queue.of(name)).build());
                }
            }
            List<Message> got = new CopyOnWriteArrayList<>();
            c.consumer(queues.keySet().stream().map(Queue::of).toArray(Queue[]::new)).prefetch(n)
                    .onMessage((body, m) -> got.add(m)).consume();
            drain(c, () -> got.size() >= n, 15_000);
            drain(c, () -> false, 500);
            assertThat(got).as("in flight over three queues with prefetch %d and no ack", n).hasSize(n);
            got.get(0).ack();
            drain(c, () -> got.size() >= n + 1, 15_000);
            drain(c, () -> false, 300);
            assertThat(got).as("after one ack").hasSize(n + 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (got.size() < 30 && System.nanoTime() < deadline) {
                for (Message m : got) {
                    if (!m.isSettled()) {
                        m.ack();
                    }
                }
                c.drainEvents(Duration.ofMillis(50));
            }
            assertThat(got).hasSize(30);
            for (Message m : got) {
                if (!m.isSettled()) {
                    m.ack();
                }
            }
            for (String name : queues.keySet()) {
                c.channel().deleteQueue(name);
            }
        }
    }

    private static void drain(Connection c, java.util.function.BooleanSupplier done, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(50));
        }
    }

    /** Several queues drained through the private Hub: a handler's failure still ends the drain, thrown on its thread. */
    @Test
    void aHandlerFailureOverQueuesOnSeveralMastersEndsTheDrain() throws Exception {
        Map<String, Integer> queues = onePerMaster("cl.fail." + UUID.randomUUID().toString().substring(0, 8));
        List<String> names = new ArrayList<>(queues.keySet());
        try (Connection c = Connection.open(cluster.url("?layout=queue"))) {
            IllegalStateException boom = new IllegalStateException("boom");
            List<String> threads = new CopyOnWriteArrayList<>();
            c.consumer(names.stream().map(Queue::of).toArray(Queue[]::new)).onMessage((body, m) -> {
                threads.add(Thread.currentThread().getName());
                throw boom;
            }).consume();
            c.producer().publish("m", names.get(2));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            Throwable thrown = null;
            while (thrown == null && System.nanoTime() < deadline) {
                try {
                    c.drainEvents(Duration.ofMillis(100));
                } catch (RuntimeException e) {
                    thrown = e;
                }
            }
            assertThat(thrown).isInstanceOf(org.kombu4j.HandlerFailedException.class).hasCauseReference(boom);
            assertThat(threads).containsExactly(Thread.currentThread().getName());
            for (String name : names) {
                c.channel().deleteQueue(name);
            }
        }
    }

    /** Several queues drained through the private Hub: a close from another thread ends the drain promptly. */
    @Test
    void aCloseFromAnotherThreadEndsADrainOverSeveralMasters() throws Exception {
        Map<String, Integer> queues = onePerMaster("cl.close." + UUID.randomUUID().toString().substring(0, 8));
        Connection c = Connection.open(cluster.url("?layout=queue"));
        c.consumer(queues.keySet().stream().map(Queue::of).toArray(Queue[]::new)).onMessage((body, m) -> m.ack()).consume();
        c.drainEvents(Duration.ofMillis(50)); // the private hub is running the namespaces now
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            c.close();
        }, "cluster-closer");
        long start = System.nanoTime();
        closer.start();
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.drainEvents(Duration.ofSeconds(30)))
                    .isInstanceOf(org.kombu4j.ClosedException.class);
        } finally {
            closer.join(10_000);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    private static RedisConnection open(int port) {
        return RedisConnection.open(new RedisEndpoint("127.0.0.1", port, null, null, 0, Duration.ofSeconds(2),
                Duration.ofSeconds(5)), true, "kombu4j-test-layout");
    }
}
