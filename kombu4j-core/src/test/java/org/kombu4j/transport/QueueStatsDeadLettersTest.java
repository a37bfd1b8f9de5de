package org.kombu4j.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.Queue;

/** Dead-letter counts in {@link TransportChannel#queueStats()}, on the virtual transports' routing (memory). */
class QueueStatsDeadLettersTest {

    @Test
    void countsTheReadyMessagesWhereEachQueuesDeadLettersAreRouted() {
        try (Connection conn = Connection.open("memory://stats-" + UUID.randomUUID())) {
            TransportChannel ch = conn.defaultChannel();
            Exchange topic = Exchange.topic("dlx.topic");
            ch.declareExchange(topic, false);
            ch.declareExchange(Exchange.headers("dlx.headers"), false);
            ch.declareQueue(Queue.of("dlq.a"), false);
            ch.declareQueue(Queue.of("dlq.b"), false);
            ch.bind("dlq.a", Binding.of(topic, "dead.#"));
            ch.bind("dlq.b", Binding.of(topic, "dead.orders"));
            ch.declareQueue(Queue.named("orders").deadLetter(topic.name(), "dead.orders").build(), false);
            ch.declareQueue(Queue.named("mail").deadLetter("", "dlq.b").build(), false);
            ch.declareQueue(Queue.named("own-key").deadLetter(topic.name(), null).build(), false);
            ch.declareQueue(Queue.named("by-headers").deadLetter("dlx.headers", "x").build(), false);
            ch.declareQueue(Queue.named("nowhere").deadLetter(topic.name(), "alive").build(), false);
            for (String q : List.of("dlq.a", "dlq.a", "dlq.b", "orders")) {
                ch.publish(new OutgoingMessage("", q, new RawMessage(new byte[] {1}, "application/data", "binary", Map.of(), Map.of()), false));
            }

            Map<String, QueueStats> s = ch.queueStats().stream().collect(Collectors.toMap(QueueStats::name, Function.identity()));
            assertThat(s.get("orders").deadLetters()).isEqualTo(3L);
            assertThat(s.get("orders").deadLetterQueues()).containsExactlyInAnyOrder("dlq.a", "dlq.b");
            assertThat(s.get("orders").ready()).isEqualTo(1);
            assertThat(s.get("mail").deadLetters()).isEqualTo(1L);
            assertThat(s.get("mail").deadLetterQueues()).containsExactly("dlq.b");
            assertThat(s.get("nowhere").deadLetters()).as("routed to no queue: dropped").isZero();
            assertThat(s.get("nowhere").deadLetterQueues()).isEmpty();
            // Unknown without the message: its own routing key, or its headers.
            assertThat(s.get("own-key").deadLetters()).isNull();
            assertThat(s.get("by-headers").deadLetters()).isNull();
            assertThat(s.get("dlq.a").deadLetters()).isNull();
        }
    }
}
