package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;

/**
 * {@code confirm_publish=async} against a real RabbitMQ. Nacks are provoked the way RabbitMQ really
 * produces them: a queue with {@code x-max-length 1} and {@code x-overflow reject-publish} nacks every
 * publish beyond the first while the first is still queued.
 */
class AmqpAsyncConfirmTest {
    private final List<String> queues = new ArrayList<>();
    private final List<String> exchanges = new ArrayList<>();
    private String url;
    private String prefix;

    @BeforeEach
    void setUp() {
        url = LocalRabbit.url();
        prefix = "k4jasync." + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    @AfterEach
    void tearDown() {
        try (Connection c = Connection.open(url)) {
            TransportChannel ch = c.channel();
            queues.forEach(ch::deleteQueue);
            exchanges.forEach(ch::deleteExchange);
        }
    }

    private static OutgoingMessage msg(String queue, String body) {
        return msg("", queue, body, false);
    }

    private static OutgoingMessage msg(String exchange, String rk, String body, boolean mandatory) {
        return new OutgoingMessage(exchange, rk, new RawMessage(body.getBytes(StandardCharsets.UTF_8), "text/plain",
                "utf-8", Map.of(), Map.of("delivery_mode", 2)), mandatory);
    }

    private String rejectingQueue(TransportChannel ch) {
        String q = prefix + "full";
        queues.add(q);
        ch.declareQueue(Queue.named(q).maxLength(1).argument("x-overflow", "reject-publish").build(), false);
        return q;
    }

    private static AmqpTransport amqp(Connection c) {
        return (AmqpTransport) c.transport();
    }

    @Test
    void asyncPublishesAreAllConfirmedAndQueued() {
        String q = prefix + "q";
        queues.add(q);
        try (Connection c = Connection.open(url + "?confirm_publish=async&confirm_window=64")) {
            TransportChannel ch = c.channel();
            ch.declareQueue(Queue.of(q), false);
            for (int i = 0; i < 2_000; i++) {
                ch.publish(msg(q, "m" + i));
            }
            amqp(c).flush();
            assertThat(ch.declareQueue(Queue.of(q), true).messageCount()).isEqualTo(2_000);
        }
    }

    @Test
    void nacksReachTheCallerOnFlush() {
        try (Connection c = Connection.open(url + "?confirm_publish=async")) {
            TransportChannel ch = c.channel();
            String q = rejectingQueue(ch);
            for (int i = 0; i < 3; i++) {
                ch.publish(msg(q, "m" + i));
            }
            assertThatThrownBy(() -> amqp(c).flush()).isInstanceOf(PublishNotConfirmedException.class)
                    .hasMessageContaining("nacked").hasMessageContaining("reject-publish")
                    .satisfies(e -> assertThat(((PublishNotConfirmedException) e).failedCount()).isEqualTo(2));
            // Reported once: the channel goes on.
            amqp(c).flush();
            assertThat(ch.declareQueue(Queue.of(q), true).messageCount()).isEqualTo(1);
        }
    }

    @Test
    void nacksReachTheCallerOnTheNextPublishWhichIsNotSent() {
        try (Connection c = Connection.open(url + "?confirm_publish=async")) {
            TransportChannel ch = c.channel();
            String q = rejectingQueue(ch);
            ch.publish(msg(q, "kept"));
            ch.publish(msg(q, "nacked"));
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // the nack arrives meanwhile
            ch.purge(q);
            // With the queue purged this one would be accepted: it must not be sent at all.
            assertThatThrownBy(() -> ch.publish(msg(q, "after"))).isInstanceOf(PublishNotConfirmedException.class)
                    .hasMessageContaining("nacked").hasMessageContaining("was not published");
            amqp(c).flush();
            assertThat(ch.declareQueue(Queue.of(q), true).messageCount()).isZero();
        }
    }

    @Test
    void closingTheConnectionReportsWhatFlushWouldHave() {
        Connection c = Connection.open(url + "?confirm_publish=async");
        TransportChannel ch = c.channel();
        String q = rejectingQueue(ch);
        ch.publish(msg(q, "kept"));
        ch.publish(msg(q, "nacked"));
        assertThatThrownBy(c::close).isInstanceOf(PublishNotConfirmedException.class).hasMessageContaining("nacked");
    }

    @Test
    void unroutableMandatoryMessagesAreReported() {
        String q = prefix + "bound";
        queues.add(q);
        Exchange ex = Exchange.direct(prefix + "ex");
        exchanges.add(ex.name());
        try (Connection c = Connection.open(url + "?confirm_publish=async")) {
            TransportChannel ch = c.channel();
            ch.declareExchange(ex, false);
            ch.declareQueue(Queue.of(q), false);
            ch.bind(q, Binding.of(ex, "bound"));
            ch.publish(msg(ex.name(), "bound", "kept", true));
            ch.publish(msg(ex.name(), "nowhere", "lost", true));
            assertThatThrownBy(() -> amqp(c).flush()).isInstanceOf(PublishNotConfirmedException.class)
                    .hasMessageContaining("nowhere").hasMessageContaining("unroutable");
        }
    }

    @Test
    void aChannelLostWithPublishesOutstandingIsReported() {
        try (Connection c = Connection.open(url + "?confirm_publish=async&confirm_timeout=10")) {
            TransportChannel ch = c.channel();
            String q = prefix + "q";
            queues.add(q);
            ch.declareQueue(Queue.of(q), false);
            // A publish to a missing exchange closes the AMQP channel (404) before it is confirmed.
            ch.publish(msg(prefix + "no-such-exchange", "x", "lost", false));
            assertThatThrownBy(() -> amqp(c).flush()).isInstanceOf(PublishNotConfirmedException.class)
                    .hasMessageContaining("closed before the broker confirmed");
            // The kombu4j channel reopens its AMQP channel and goes on.
            ch.publish(msg(q, "next"));
            amqp(c).flush();
            assertThat(ch.declareQueue(Queue.of(q), true).messageCount()).isEqualTo(1);
        }
    }

    @Test
    void aFullWindowBlocksUntilConfirmsArrive() {
        String q = prefix + "q";
        queues.add(q);
        try (Connection c = Connection.open(url + "?confirm_publish=async&confirm_window=1")) {
            TransportChannel ch = c.channel();
            ch.declareQueue(Queue.of(q), false);
            long t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                ch.publish(msg(q, "m" + i));
            }
            amqp(c).flush();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
            assertThat(ch.declareQueue(Queue.of(q), true).messageCount()).isEqualTo(200);
        }
    }
}
