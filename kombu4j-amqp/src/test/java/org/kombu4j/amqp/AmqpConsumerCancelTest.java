package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.OperationalException;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;

/**
 * A consumer the broker cancels (its queue deleted; in a cluster, a classic queue whose node went down) is
 * reported, as py-amqp raises ConsumerCancelled, rather than left silently receiving nothing.
 */
class AmqpConsumerCancelTest {
    @Test
    void drainEventsThrowsWhenTheBrokerCancelsAConsumer() {
        Queue q = Queue.of("k4jamqp.cancel." + UUID.randomUUID());
        try (Connection c = Connection.open(LocalRabbit.url()); Connection other = Connection.open(LocalRabbit.url())) {
            try (Consumer consumer = c.consumer(q).onMessage((body, m) -> m.ack()).consume()) {
                c.drainEvents(Duration.ofMillis(50));
                other.channel().deleteQueue(q.name());
                assertThatThrownBy(() -> {
                    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (System.nanoTime() < end) {
                        c.drainEvents(Duration.ofMillis(100));
                    }
                }).isInstanceOf(OperationalException.class).hasMessageContaining("cancelled consumer")
                        .hasMessageContaining(q.name());
            }
        }
    }

    @Test
    void consumerLoopResumesAfterItsQueueIsDeletedAndDeclaredAgain() throws Exception {
        Queue q = Queue.of("k4jamqp.cancel." + UUID.randomUUID());
        Set<Object> got = ConcurrentHashMap.newKeySet();
        try (Connection c = Connection.open(LocalRabbit.url()); Connection other = Connection.open(LocalRabbit.url())) {
            ConsumerLoop loop = ConsumerLoop.builder(c, conn -> List.of(conn.consumer(q).onMessage((body, m) -> {
                got.add(body);
                m.ack();
            }).build())).drainTimeout(Duration.ofMillis(100)).build();
            Thread t = new Thread(loop::run, "cancel-loop");
            t.start();
            try {
                other.producer().publish("before", PublishOptions.builder().routingKey(q.name()).declare(q).build());
                await(() -> got.contains("before"));
                other.channel().deleteQueue(q.name());
                // The loop sees the cancel, reconnects and consumes again (declaring the queue anew).
                await(() -> loop.connects() >= 2);
                Thread.sleep(300);
                other.producer().publish("after", PublishOptions.builder().routingKey(q.name()).declare(q).build());
                await(() -> got.contains("after"));
                assertThat(got).contains("before", "after");
            } finally {
                loop.stop();
                t.join(5000);
                other.channel().deleteQueue(q.name());
            }
        }
    }

    private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }
}
