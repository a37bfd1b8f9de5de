package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.testkit.brokers.PrivateRedisCluster;

/**
 * SIGKILL the master serving the namespace's slot while a publisher (with {@code wait_replicas=1}) and a
 * consumer run: its replica takes over, both carry on without a restart, and every publish that returned
 * is consumed. Two replicas per master, so that the promoted one still has a replica to {@code WAIT} for.
 * Run with both layouts ({@code key_tag} namespace and {@code layout=queue}).
 */
class RedisClusterFailoverTest {
    private static final RetryPolicy RECONNECT = RetryPolicy.builder().maxRetries(-1).intervalStart(Duration.ofMillis(50))
            .intervalStep(Duration.ofMillis(100)).intervalMax(Duration.ofMillis(300)).build();

    private static final String OPTIONS = "&wait_replicas=1&wait_timeout=1"
            + "&lease_timeout=2&unacked_restore_interval=0.5&socket_timeout=2&socket_connect_timeout=1";

    @Test
    void killingTheMasterLosesNothingAcceptedOnceItsReplicaTakesOver() throws Exception {
        try (PrivateRedisCluster cluster = new PrivateRedisCluster(3, 2)) {
            String tag = "fo" + UUID.randomUUID().toString().substring(0, 8);
            int slot = ClusterSlots.slot("{" + tag + "}");
            assertThat(cluster.keySlot("{" + tag + "}")).as("our CRC16 agrees with the cluster").isEqualTo(slot);
            killMasterMidRun(cluster, cluster.url("?key_tag=" + tag + OPTIONS), Queue.of("failover.q"), slot);
        }
    }

    /**
     * {@code layout=queue}: the queue's own namespace and the catalog ({@code {_kombu4j}}) on the master
     * that is killed, so that both the queue and the exchange/declaration records fail over. The consumer
     * also consumes (idle) queues on the other masters, so its drains run the private Hub.
     */
    @Test
    void withAQueuePerNamespaceKillingTheMasterLosesNothingAccepted() throws Exception {
        try (PrivateRedisCluster cluster = new PrivateRedisCluster(3, 2)) {
            int catalogMaster = cluster.masterOf(ClusterSlots.slot("{" + ClusterQueueTransport.CATALOG_TAG + "}"));
            String stem = "failover." + UUID.randomUUID().toString().substring(0, 8);
            String name = null;
            for (int i = 0; name == null; i++) {
                assertThat(i).as("names tried").isLessThan(1000);
                if (cluster.masterOf(cluster.keySlot("{" + stem + i + "}")) == catalogMaster) {
                    name = stem + i;
                }
            }
            List<Queue> idle = new java.util.ArrayList<>();
            Set<Integer> masters = new java.util.HashSet<>(Set.of(catalogMaster));
            for (int i = 0; idle.size() < 2; i++) {
                assertThat(i).as("names tried").isLessThan(1000);
                int m = cluster.masterOf(cluster.keySlot("{" + stem + ".idle" + i + "}"));
                if (masters.add(m)) {
                    idle.add(Queue.of(stem + ".idle" + i));
                }
            }
            int slot = ClusterSlots.slot("{" + name + "}");
            killMasterMidRun(cluster, cluster.url("?layout=queue" + OPTIONS), Queue.of(name), slot, idle.toArray(Queue[]::new));
        }
    }

    private static void killMasterMidRun(PrivateRedisCluster cluster, String url, Queue q, int slot, Queue... alsoConsumed)
            throws Exception {
        {
            Set<Integer> accepted = ConcurrentHashMap.newKeySet();
            Set<Integer> consumed = ConcurrentHashMap.newKeySet();
            AtomicLong lastConsumed = new AtomicLong();
            Connection consumerConn = Connection.open(url);
            ConsumerLoop loop = ConsumerLoop.builder(consumerConn, c -> List.of(c.consumer(java.util.stream.Stream.concat(java.util.stream.Stream.of(q),
                    java.util.stream.Stream.of(alsoConsumed)).toArray(Queue[]::new)).onMessage((body, m) -> {
                consumed.add(((Number) body).intValue());
                lastConsumed.set(System.nanoTime());
                m.ack();
            }).build())).reconnect(RECONNECT).drainTimeout(Duration.ofMillis(200)).build();
            Thread consumer = new Thread(loop::run, "cluster-consumer");
            consumer.start();

            AtomicBoolean publishing = new AtomicBoolean(true);
            AtomicLong lastAccepted = new AtomicLong();
            java.util.concurrent.atomic.AtomicReference<String> lastError = new java.util.concurrent.atomic.AtomicReference<>();
            Thread publisher = new Thread(() -> {
                PublishOptions opts = PublishOptions.builder().routingKey(q.name()).declare(q)
                        .retry(RetryPolicy.builder().maxRetries(200).intervalStart(Duration.ofMillis(50))
                                .intervalStep(Duration.ofMillis(50)).intervalMax(Duration.ofMillis(200)).build()).build();
                try (Connection p = Connection.open(url)) {
                    for (int i = 0; publishing.get(); i++) {
                        try {
                            p.producer().publish(i, opts);
                            accepted.add(i);
                            lastAccepted.set(System.nanoTime());
                        } catch (RuntimeException e) {
                            // Not accepted: it may or may not have arrived; nothing is claimed about it.
                            lastError.set(e.toString());
                        }
                        Thread.sleep(5);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "cluster-publisher");
            publisher.start();

            waitFor(() -> consumed.size() >= 50, 20);
            assertThat(consumed).as("consuming before the kill").hasSizeGreaterThanOrEqualTo(50);
            int master = cluster.masterOf(slot);
            cluster.kill(master);
            long killed = System.nanoTime();
            cluster.awaitFailover(slot, master);
            long promoted = System.nanoTime();
            assertThat(cluster.masterOf(slot)).as("a replica took the slot over").isNotEqualTo(master);
            int afterKill = accepted.size();
            waitFor(() -> accepted.size() >= afterKill + 100, 30);
            publishing.set(false);
            publisher.join(30_000);
            long resumedPublish = lastAccepted.get();
            waitFor(() -> consumed.containsAll(accepted), 30);
            loop.stop();
            consumer.join(10_000);
            consumerConn.close();

            assertThat(accepted.size()).as("publishes accepted after the failover (last error: %s)", lastError.get()).isGreaterThanOrEqualTo(afterKill + 100);
            assertThat(consumed).as("every accepted publish is consumed").containsAll(accepted);
            assertThat(resumedPublish).isGreaterThan(promoted);
            System.out.printf("failover: %d accepted, %d consumed; kill -> cluster ok %d ms%n", accepted.size(),
                    consumed.size(), TimeUnit.NANOSECONDS.toMillis(promoted - killed));
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier cond, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
