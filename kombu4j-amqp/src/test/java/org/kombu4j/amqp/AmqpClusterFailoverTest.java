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
 * Duplicates are allowed (at-least-once: a publish whose confirm died with node A is sent again). A second
 * publisher with {@code confirm_publish=async} shows the other contract: what it accepted and was lost has been
 * reported ({@link PublishNotConfirmedException} counts), never dropped in silence.
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
        // The same through confirm_publish=async: a publish returns before its confirm, and a loss is reported later.
        Queue qAsync = Queue.named(q.name() + ".async").quorum().initialGroupSize(3).build();
        Set<Integer> accepted = ConcurrentHashMap.newKeySet();
        Set<Integer> receivedAsync = ConcurrentHashMap.newKeySet();
        AtomicInteger reported = new AtomicInteger();
        List<String> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
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
                admin.channel().declareQueue(qAsync, false);
            }
            // Declared through node A: the leader is there (client-local placement), so the kill forces an election.
            String status = cluster.rabbitmqctl(cluster.node(0), "list_queues", "-q", "name", "type", "leader", "members");
            assertThat(status).contains(q.name()).contains("quorum").contains(cluster.node(0).nodeName())
                    .contains(cluster.node(1).nodeName()).contains(cluster.node(2).nodeName());
            String leaderLine = status.lines().filter(l -> l.contains(q.name())).findFirst().orElseThrow();
            assertThat(leaderLine.split("\\s+")[2]).isEqualTo(cluster.node(0).nodeName());

            try (Connection consumerConn = Connection.open(failover); Connection publisherConn = Connection.open(failover);
                    Connection asyncConn = Connection.open(cluster.failoverUrl("?heartbeat=5&connect_timeout=5"
                            + "&confirm_publish=async&confirm_window=200"))) {
                ConsumerLoop loop = ConsumerLoop.builder(consumerConn, c -> List.of(c.consumer(q, qAsync).prefetch(100)
                        .onMessage((body, m) -> {
                            m.ack();
                            if (m.deliveryInfo().queue().equals(qAsync.name())) {
                                receivedAsync.add((Integer) body);
                                return;
                            }
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
                Producer asyncProducer = Producer.builder(asyncConn).retry(RetryPolicy.builder().maxRetries(30)
                        .intervalStart(Duration.ofMillis(100)).intervalStep(Duration.ofMillis(200))
                        .intervalMax(Duration.ofSeconds(1)).build()).build();
                long paceStart = System.nanoTime();
                Thread publishingAsync = new Thread(() -> {
                    for (int i = 0; i < n; i++) {
                        // Keep pace with the confirming publisher, so that the kill finds this one mid-run too.
                        while (confirmed.size() + failed.size() < i && System.nanoTime() - paceStart < 120_000_000_000L) {
                            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                        }
                        try {
                            asyncProducer.publish(i, PublishOptions.builder().routingKey(qAsync.name()).build());
                            accepted.add(i);
                        } catch (PublishNotConfirmedException e) {
                            reported.addAndGet(e.failedCount()); // earlier ones; this message was not sent
                            note(reports, e);
                        } catch (KombuException e) {
                            note(reports, e);
                            for (Throwable t : e.getSuppressed()) {
                                if (t instanceof PublishNotConfirmedException p) {
                                    reported.addAndGet(p.failedCount());
                                }
                            }
                        }
                    }
                    try {
                        ((AmqpTransport) asyncConn.transport()).flush();
                    } catch (PublishNotConfirmedException e) {
                        reported.addAndGet(e.failedCount());
                    }
                }, "cluster-async-publisher");
                try {
                    assertThat(publisherConn.connect().url().port().getAsInt()).isEqualTo(portA);
                    publishing.start();
                    publishingAsync.start();
                    await(() -> confirmed.size() >= n / 3 && received.size() >= n / 10, Duration.ofSeconds(60));
                    assertThat(consumerConn.url().port().getAsInt()).isEqualTo(portA);
                    killedAt.set(System.nanoTime());
                    cluster.kill(0);
                    publishing.join(Duration.ofSeconds(120).toMillis());
                    publishingAsync.join(Duration.ofSeconds(120).toMillis());
                    assertThat(publishing.isAlive()).as("publisher finished").isFalse();
                    assertThat(publishingAsync.isAlive()).as("async publisher finished").isFalse();
                    // Done once every confirmed message arrived and every accepted async one arrived or was reported.
                    await(() -> received.containsAll(confirmed)
                            && accepted.stream().filter(i -> !receivedAsync.contains(i)).count() <= reported.get(),
                            Duration.ofSeconds(60));
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
                Set<Integer> lostAsync = new java.util.TreeSet<>(accepted);
                lostAsync.removeAll(receivedAsync);
                System.out.printf("async confirms: %d accepted, %d received, %d accepted but not received, %d reported"
                        + " not confirmed%n", accepted.size(), receivedAsync.size(), lostAsync.size(), reported.get());
                reports.forEach(r -> System.out.println("  async publisher was told: " + r));
                assertThat(lost).as("confirmed but never consumed").isEmpty();
                // Async: which publishes failed is not known, but every one lost must have been reported.
                assertThat(lostAsync.size()).as("accepted, lost and not reported").isLessThanOrEqualTo(reported.get());
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

    /** Keeps the first few failures the async publisher was told of, for the test's output. */
    private static void note(List<String> reports, KombuException e) {
        if (reports.size() < 5) {
            reports.add(e.toString() + (e.getSuppressed().length > 0 ? " (with " + e.getSuppressed()[0] + ")" : ""));
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
