package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.KombuException;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.testkit.brokers.PrivateRabbitCluster;

/**
 * A RabbitMQ cluster of three private nodes on this host, a quorum queue replicated on all three, and a consumer
 * and a confirming publisher that both reach the cluster through one failover URL listing the nodes, so both start
 * on node A, where the queue's leader is. Node A is SIGKILLed mid-run: every publish that returned (was confirmed)
 * must be consumed, the publisher must carry on through node B, and the consumer must resume on another node.
 * Duplicates are allowed (at-least-once: a publish whose confirm died with node A is sent again).
 *
 * <p>Default size: 3 nodes, 1500 messages (about a minute here, mostly the cluster's boot). Full size with
 * {@code -Dkombu4j.cluster.full=true}: 20000 messages.
 */
class AmqpClusterFailoverTest {
    private static final boolean FULL = Boolean.getBoolean("kombu4j.cluster.full");

    @Test
    void nothingConfirmedIsLostWhenTheNodeTheClientsUseIsKilled() throws Exception {
        int n = FULL ? 20_000 : 1_500;
        Queue q = Queue.named("k4jamqp.cluster." + UUID.randomUUID()).quorum().initialGroupSize(3).build();
        Set<Integer> confirmed = ConcurrentHashMap.newKeySet();
        Set<Integer> failed = ConcurrentHashMap.newKeySet();
        Set<Integer> received = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        AtomicLong firstDeliveryAfterKill = new AtomicLong();
        AtomicLong killedAt = new AtomicLong();
        AtomicLong firstConfirmAfterKill = new AtomicLong();
        long bootStart = System.nanoTime();
        try (PrivateRabbitCluster cluster = new PrivateRabbitCluster(3)) {
            System.out.printf("cluster of 3 ready in %d ms%n", Duration.ofNanos(System.nanoTime() - bootStart).toMillis());
            int portA = cluster.node(0).port();
            // A short heartbeat and connect timeout: a dead node is passed over quickly.
            String failover = cluster.failoverUrl("?heartbeat=5&connect_timeout=5");
            try (Connection admin = Connection.open(cluster.node(0).url("?heartbeat=5"))) {
                admin.channel().declareQueue(q, false);
            }
            // Declared through node A: the leader is there (client-local placement), so the kill forces an election.
            String status = cluster.rabbitmqctl(cluster.node(0), "list_queues", "-q", "name", "type", "leader", "members");
            assertThat(status).contains(q.name()).contains("quorum").contains(cluster.node(0).nodeName())
                    .contains(cluster.node(1).nodeName()).contains(cluster.node(2).nodeName());
            String leaderLine = status.lines().filter(l -> l.contains(q.name())).findFirst().orElseThrow();
            assertThat(leaderLine.split("\\s+")[2]).isEqualTo(cluster.node(0).nodeName());

            try (Connection consumerConn = Connection.open(failover); Connection publisherConn = Connection.open(failover)) {
                ConsumerLoop loop = ConsumerLoop.builder(consumerConn, c -> List.of(c.consumer(q).prefetch(100)
                        .onMessage((body, m) -> {
                            m.ack();
                            received.add((Integer) body);
                            deliveries.incrementAndGet();
                            // Resumed: a delivery through a connection to another node than A.
                            if (killedAt.get() != 0 && consumerConn.url().port().getAsInt() != portA) {
                                firstDeliveryAfterKill.compareAndSet(0, System.nanoTime());
                            }
                        }).build())).drainTimeout(Duration.ofMillis(100)).build();
                Thread consuming = new Thread(loop::run, "cluster-consumer");
                consuming.start();
                // Confirms on (the default): a publish returns once the broker confirmed it, else it is retried
                // on the next node (the policy's reconnects), else it throws.
                Producer producer = Producer.builder(publisherConn).retry(RetryPolicy.builder().maxRetries(30)
                        .intervalStart(Duration.ofMillis(100)).intervalStep(Duration.ofMillis(200))
                        .intervalMax(Duration.ofSeconds(1)).build()).build();
                Thread publishing = new Thread(() -> {
                    for (int i = 0; i < n; i++) {
                        try {
                            producer.publish(i, PublishOptions.builder().routingKey(q.name()).build());
                            confirmed.add(i);
                            if (killedAt.get() != 0 && publisherConn.url().port().getAsInt() != portA) {
                                firstConfirmAfterKill.compareAndSet(0, System.nanoTime());
                            }
                        } catch (KombuException e) {
                            failed.add(i);
                        }
                    }
                }, "cluster-publisher");
                try {
                    assertThat(publisherConn.connect().url().port().getAsInt()).isEqualTo(portA);
                    publishing.start();
                    await(() -> confirmed.size() >= n / 3 && received.size() >= n / 10, Duration.ofSeconds(60));
                    assertThat(consumerConn.url().port().getAsInt()).isEqualTo(portA);
                    killedAt.set(System.nanoTime());
                    cluster.kill(0);
                    publishing.join(Duration.ofSeconds(120).toMillis());
                    assertThat(publishing.isAlive()).as("publisher finished").isFalse();
                    await(() -> received.containsAll(confirmed), Duration.ofSeconds(60));
                } finally {
                    loop.stop();
                    consuming.join(10_000);
                }
                Set<Integer> lost = new java.util.TreeSet<>(confirmed);
                lost.removeAll(received);
                System.out.printf("cluster failover: %d published, %d confirmed, %d raised, %d received (%d deliveries,"
                        + " %d duplicates); after the kill the publisher resumed in %d ms, the consumer in %d ms;"
                        + " %d consumer connects%n",
                        n, confirmed.size(), failed.size(), received.size(), deliveries.get(),
                        deliveries.get() - received.size(), millisAfter(killedAt, firstConfirmAfterKill),
                        millisAfter(killedAt, firstDeliveryAfterKill),
                        loop.connects());
                assertThat(lost).as("confirmed but never consumed").isEmpty();
                // With 30 retries across two surviving nodes no publish should have had to give up.
                assertThat(failed).as("publishes that raised").isEmpty();
                assertThat(confirmed).hasSize(n);
                assertThat(firstDeliveryAfterKill.get()).as("a delivery from another node after the kill").isNotZero();
                assertThat(firstConfirmAfterKill.get()).as("a confirm from another node after the kill").isNotZero();
                assertThat(loop.connects()).isGreaterThanOrEqualTo(2);
                assertThat(consumerConn.url().port().getAsInt()).isNotEqualTo(portA);
                assertThat(publisherConn.url().port().getAsInt()).isNotEqualTo(portA);
            }
        }
    }

    private static long millisAfter(AtomicLong start, AtomicLong end) {
        return end.get() == 0 ? -1 : Duration.ofNanos(end.get() - start.get()).toMillis();
    }

    private static void await(BooleanSupplier done, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }
}
