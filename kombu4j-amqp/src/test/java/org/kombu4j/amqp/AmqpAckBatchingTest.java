package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * Coalesced acks on a real RabbitMQ: with acks now and later, rejects and requeues interleaved from the delivery
 * thread and several other threads, every message is settled exactly as asked. A multiple ack that covered a
 * message meant to be requeued would keep it from coming back; one naming a settled tag would close the channel.
 */
class AmqpAckBatchingTest {
    private static final int N = 3000;

    private String url;
    private String queue;
    private Connection conn;

    @BeforeEach
    void setUp() {
        url = LocalRabbit.url();
        queue = "k4jackbatch." + UUID.randomUUID().toString().substring(0, 8);
        conn = Connection.open(url);
    }

    @AfterEach
    void tearDown() {
        conn.close();
        try (Connection c = Connection.open(url)) {
            c.channel().deleteQueue(queue);
        }
    }

    private void fill(TransportChannel ch) {
        ch.declareQueue(Queue.of(queue), false);
        for (int i = 0; i < N; i++) {
            ch.publish(new OutgoingMessage("", queue, new RawMessage(String.valueOf(i).getBytes(StandardCharsets.UTF_8),
                    "text/plain", "utf-8", Map.of(), Map.of("delivery_mode", 2)), false));
        }
    }

    /** What each message is asked: by its number, and whether it came back already. */
    private static final class Plan {
        final Map<Integer, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        final AtomicInteger finished = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        /** Expected: i % 6 == 4 requeued once then acked (two deliveries); i % 6 == 5 dropped; others acked. */
        static int expectedFinished() {
            return N;
        }

        void settle(TransportChannel ch, TransportMessage m) {
            int i = Integer.parseInt(new String(m.content().body(), StandardCharsets.UTF_8));
            int seen = deliveries.computeIfAbsent(i, k -> new AtomicInteger()).incrementAndGet();
            try {
                switch (i % 6) {
                    case 0, 1 -> ch.ackSoon(m.deliveryTag());
                    case 2, 3 -> ch.ack(m.deliveryTag());
                    case 4 -> {
                        if (seen == 1) {
                            ch.reject(m.deliveryTag(), true);
                            return;
                        }
                        ch.ackSoon(m.deliveryTag());
                    }
                    default -> ch.reject(m.deliveryTag(), false);
                }
                finished.incrementAndGet();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        }

        void check() {
            assertThat(failure.get()).isNull();
            assertThat(deliveries).hasSize(N);
            for (Map.Entry<Integer, AtomicInteger> e : deliveries.entrySet()) {
                assertThat(e.getValue().get()).as("deliveries of message %d", e.getKey())
                        .isEqualTo(e.getKey() % 6 == 4 ? 2 : 1);
            }
        }
    }

    private void assertQueueEmptyAfterClose(TransportChannel ch) {
        ch.close(); // anything left unacknowledged would go back to the queue now
        try (Connection c = Connection.open(url)) {
            assertThat(c.channel().declareQueue(Queue.of(queue), true).messageCount()).isZero();
        }
    }

    @Test
    void interleavedSettlingFromSeveralThreadsWhileDraining() throws Exception {
        TransportChannel ch = conn.channel();
        fill(ch);
        ch.qos(100);
        Plan plan = new Plan();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicInteger n = new AtomicInteger();
        try {
            ch.consume(queue, null, false, m -> {
                // A third settled on the delivery thread itself, the rest on the pool's threads in any order.
                if (n.incrementAndGet() % 3 == 0) {
                    plan.settle(ch, m);
                } else {
                    pool.execute(() -> plan.settle(ch, m));
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (plan.finished.get() < Plan.expectedFinished() && plan.failure.get() == null
                    && System.nanoTime() < deadline) {
                conn.drainEvents(Duration.ofMillis(100));
            }
            // A few more turns: a duplicate delivery would show here.
            conn.drainEvents(Duration.ofMillis(300));
        } finally {
            pool.shutdown();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
        plan.check();
        assertThat(ch.isOpen()).isTrue();
        assertQueueEmptyAfterClose(ch);
    }

    @Test
    void interleavedSettlingOnAHub() throws Exception {
        TransportChannel ch = conn.channel();
        fill(ch);
        ch.qos(100);
        Plan plan = new Plan();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (Hub hub = new Hub()) {
            conn.registerWithEventLoop(hub);
            Thread loop = new Thread(hub::runForever, "k4j-test-hub");
            loop.start();
            AtomicInteger n = new AtomicInteger();
            ch.consume(queue, null, false, m -> {
                if (n.incrementAndGet() % 2 == 0) {
                    plan.settle(ch, m);
                } else {
                    pool.execute(() -> plan.settle(ch, m));
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (plan.finished.get() < Plan.expectedFinished() && plan.failure.get() == null
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(300);
            hub.stop();
            loop.join(5000);
        } finally {
            pool.shutdown();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
        plan.check();
        assertQueueEmptyAfterClose(ch);
    }

    /** An ack made on the delivery thread goes out before drainEvents returns, not with some later turn. */
    @Test
    void acksOfADrainAreWrittenWhenItEnds() throws Exception {
        TransportChannel ch = conn.channel();
        fill(ch);
        ch.qos(N);
        AtomicInteger acked = new AtomicInteger();
        ch.consume(queue, null, false, m -> {
            ch.ack(m.deliveryTag());
            acked.incrementAndGet();
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acked.get() < N && System.nanoTime() < deadline) {
            conn.drainEvents(Duration.ofMillis(100));
        }
        assertThat(acked.get()).isEqualTo(N);
        // The channel stays open and nothing drains from now on: the broker must already count none unacked.
        try (Connection c = Connection.open(url)) {
            TransportChannel probe = c.channel();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            int unacked = -1;
            while (System.nanoTime() < until) {
                unacked = unackedOf(c);
                if (unacked == 0) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(unacked).isZero();
            assertThat(probe.declareQueue(Queue.of(queue), true).messageCount()).isZero();
        }
    }

    /** Unacknowledged messages of the queue from the broker's point of view (management statistics lag: polled). */
    private int unackedOf(Connection c) {
        return c.channel().queueStats().stream().filter(q -> q.name().equals(queue))
                .mapToInt(q -> q.unacked() == null ? -1 : q.unacked().intValue()).findFirst().orElse(-1);
    }
}
