package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.observe.RecordingObserver;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.transport.TransportChannel;

/** The listener hooks on RabbitMQ: requeue, the redelivery the broker marks, ack, and a dead-letter. */
class AmqpObserverTest {
    @Test
    void messageLifeIsToldOnRabbitMq() {
        String url = LocalRabbit.url();
        String p = "k4jobs." + UUID.randomUUID().toString().substring(0, 8);
        Exchange dlx = Exchange.direct(p + ".dlx");
        Queue dead = Queue.of(p + ".dead", dlx, "dead");
        Queue q = Queue.named(p + ".work").deadLetter(dlx.name(), "dead").build();
        RecordingObserver rec = new RecordingObserver();
        AtomicInteger handled = new AtomicInteger();
        try (Connection conn = Connection.builder(url).observer(rec).build()) {
            conn.producer().publish("a", PublishOptions.builder().routingKey(q.name()).declare(q).declare(dead).build());
            conn.producer().publish("b", q.name());
            conn.consumer(q).onMessage((body, m) -> {
                handled.incrementAndGet();
                if ("b".equals(body)) {
                    m.deadLetter("app-refused");
                } else if (m.isRedelivered()) {
                    m.ack();
                } else {
                    m.requeue();
                }
            }).consume();
            for (int i = 0; i < 50 && handled.get() < 3; i++) {
                conn.drainEvents(Duration.ofMillis(200));
            }
            assertThat(handled).hasValue(3);
        } finally {
            try (Connection c = Connection.open(url)) {
                TransportChannel ch = c.channel();
                ch.deleteQueue(q.name());
                ch.deleteQueue(dead.name());
                ch.deleteExchange(dlx.name());
            }
        }
        String w = q.name();
        assertThat(rec.events).containsSubsequence("connected", "published::" + w, "published::" + w);
        assertThat(rec.events).containsSubsequence("delivered:" + w, "rejected:" + w + ":requeue", "handled:" + w + ":ok",
                "delivered:" + w, "redelivered:" + w, "acknowledged:" + w, "handled:" + w + ":ok");
        assertThat(rec.events).contains("deadLettered:" + w + ":app-refused");
        assertThat(rec.only("redelivered")).hasSize(1);
        assertThat(rec.events).endsWith("closed");
    }
}
