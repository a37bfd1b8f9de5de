package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A queue added to a running consumer ({@link Consumer#addQueue}) gets the defaults a builder's queue gets. */
class ConsumerAddQueueTest {
    @Test
    void anUndecodableMessageOfAnAddedQueueIsDeadLetteredWhereItSaysSo() {
        try (Connection c = Connection.open("memory://addq" + UUID.randomUUID().toString().substring(0, 8))) {
            Exchange dlx = Exchange.direct("addq.dlx");
            List<String> dead = new CopyOnWriteArrayList<>();
            c.consumer(Queue.of("addq.dlq", dlx, "dead")).onRawMessage(m -> {
                dead.add(new String(m.body(), StandardCharsets.UTF_8));
                m.ack();
            }).consume();
            List<Object> good = new CopyOnWriteArrayList<>();
            Consumer consumer = c.consumer(Queue.of("addq.first")).onMessage((body, m) -> {
                good.add(body);
                m.ack();
            }).consume();
            Queue added = Queue.named("addq.added").deadLetter(dlx.name(), "dead").build();
            consumer.addQueue(added);
            c.producer().publish("{not json", PublishOptions.builder().routingKey(added.name())
                    .contentType("application/json", "utf-8").build());
            for (int i = 0; i < 40 && dead.isEmpty(); i++) {
                c.drainEvents(Duration.ofMillis(50));
            }
            assertThat(dead).as("dead-lettered, not kept unacknowledged").containsExactly("{not json");
            assertThat(good).isEmpty();
        }
    }
}
