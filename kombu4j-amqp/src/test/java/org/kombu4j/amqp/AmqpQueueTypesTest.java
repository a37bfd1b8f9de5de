package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.PreconditionFailedException;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.python.PythonKombu;

/** Quorum queues and streams through queue arguments, on the shared RabbitMQ (a one-node cluster is enough). */
class AmqpQueueTypesTest {
    @Test
    void quorumQueueCountsDeliveriesAndDeadLettersPastItsLimit() {
        String base = "k4jamqp.quorum." + UUID.randomUUID();
        Queue dead = Queue.of(base + ".dead");
        Queue q = Queue.named(base).quorum().deliveryLimit(1).deadLetter("", dead.name()).build();
        List<Map<String, Object>> seen = new CopyOnWriteArrayList<>();
        List<Object> deadLettered = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(LocalRabbit.url())) {
            try {
                c.channel().declareQueue(dead, false);
                c.producer().publish("poison", PublishOptions.builder().routingKey(q.name()).declare(q).build());
                // The broker made a quorum queue: a classic declare of the same name is refused.
                assertThatThrownBy(() -> c.channel().declareQueue(q.toBuilder().queueType("classic").build(), false))
                        .isInstanceOf(PreconditionFailedException.class).hasMessageContaining("x-queue-type");
                try (Consumer requeueing = c.consumer(q).prefetch(1).onMessage((body, m) -> {
                            seen.add(m.headers());
                            m.requeue();
                        }).consume();
                        Consumer graveyard = c.consumer(dead).onMessage((body, m) -> {
                            deadLettered.add(body);
                            m.ack();
                        }).consume()) {
                    drainUntil(c, () -> !deadLettered.isEmpty(), Duration.ofSeconds(15));
                    drainUntil(c, () -> false, Duration.ofMillis(300)); // nothing more may come
                }
                assertThat(deadLettered).containsExactly("poison");
                // Limit 1: delivered, requeued, delivered again (x-delivery-count 1), requeued once too often.
                assertThat(seen).hasSize(2);
                assertThat(seen.get(0)).doesNotContainKey("x-delivery-count");
                assertThat(((Number) seen.get(1).get("x-delivery-count")).intValue()).isEqualTo(1);
            } finally {
                c.channel().deleteQueue(q.name());
                c.channel().deleteQueue(dead.name());
            }
        }
    }

    @Test
    void streamDeliversInOrderToAConsumerWithAPrefetch() {
        Queue s = Queue.named("k4jamqp.stream." + UUID.randomUUID()).stream().build();
        List<Object> got = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(LocalRabbit.url())) {
            try {
                c.channel().declareQueue(s, false);
                assertThatThrownBy(() -> c.channel().declareQueue(Queue.of(s.name()), false))
                        .isInstanceOf(PreconditionFailedException.class);
                // A stream consumer starts at the next message published (no x-stream-offset): consume first.
                try (Consumer consumer = c.consumer(s).prefetch(10).onMessage((body, m) -> {
                    got.add(body);
                    m.ack();
                }).consume()) {
                    for (int i = 0; i < 5; i++) {
                        c.producer().publish(i, s.name());
                    }
                    drainUntil(c, () -> got.size() >= 5, Duration.ofSeconds(15));
                }
                assertThat(got).containsExactly(0, 1, 2, 3, 4);
            } finally {
                c.channel().deleteQueue(s.name());
            }
        }
    }

    @Test
    void pythonKombuAndJavaShareAQuorumQueue() {
        PythonKombu.requireKombu();
        Queue q = Queue.named("k4jamqp.quorum.py." + UUID.randomUUID()).quorum().build();
        List<Object> got = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(LocalRabbit.url())) {
            try {
                // Python declares it with queue_arguments, as Kombu users do; Java's declare must be equivalent.
                PythonKombu.runCode("""
                        import sys
                        from kombu import Connection, Queue
                        q = Queue(sys.argv[2], routing_key=sys.argv[2], queue_arguments={"x-queue-type": "quorum"})
                        with Connection(sys.argv[1]) as conn:
                            conn.Producer(serializer="json").publish({"from": "python"}, routing_key=q.name, declare=[q])
                        """, Duration.ofSeconds(30), LocalRabbit.url(), q.name());
                try (Consumer consumer = c.consumer(q).onMessage((body, m) -> {
                    got.add(body);
                    m.ack();
                }).consume()) {
                    drainUntil(c, () -> !got.isEmpty(), Duration.ofSeconds(15));
                }
                assertThat(got).containsExactly(Map.of("from", "python"));
            } finally {
                c.channel().deleteQueue(q.name());
            }
        }
    }

    private static void drainUntil(Connection c, BooleanSupplier done, Duration patience) {
        long end = System.nanoTime() + patience.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < end) {
            c.drainEvents(Duration.ofMillis(50));
        }
    }
}
