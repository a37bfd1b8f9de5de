package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Binding;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.MessageStateException;
import org.kombu4j.NotFoundException;
import org.kombu4j.OperationalException;
import org.kombu4j.PreconditionFailedException;
import org.kombu4j.Queue;
import org.kombu4j.UnroutableException;
import org.kombu4j.hub.Hub;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/** What the contract does not cover: AMQP errors, confirms, properties, connection loss. */
class AmqpTransportTest {
    private final List<String> queues = new ArrayList<>();
    private final List<String> exchanges = new ArrayList<>();
    private String url;
    private String prefix;
    private Connection conn;

    @BeforeEach
    void setUp() {
        url = LocalRabbit.url();
        prefix = "k4jamqp." + UUID.randomUUID().toString().substring(0, 8) + ".";
        conn = Connection.open(url);
    }

    @AfterEach
    void tearDown() {
        conn.close();
        try (Connection c = Connection.open(url)) {
            TransportChannel ch = c.channel();
            queues.forEach(ch::deleteQueue);
            exchanges.forEach(ch::deleteExchange);
        }
    }

    private String queue(String suffix) {
        queues.add(prefix + suffix);
        return prefix + suffix;
    }

    private static RawMessage raw(String body) {
        return new RawMessage(body.getBytes(StandardCharsets.UTF_8), "text/plain", "utf-8", Map.of(),
                Map.of("delivery_mode", 2, "priority", 0));
    }

    @Test
    void mandatoryPublishNoQueueTakesIsUnroutable() {
        TransportChannel ch = conn.channel();
        Exchange ex = Exchange.direct(prefix + "ex");
        exchanges.add(ex.name());
        ch.declareExchange(ex, false);
        String q = queue("q");
        ch.declareQueue(Queue.of(q), false);
        ch.bind(q, Binding.of(ex, "bound"));
        assertThatThrownBy(() -> ch.publish(new OutgoingMessage(ex.name(), "nowhere", raw("lost"), true)))
                .isInstanceOf(UnroutableException.class).hasMessageContaining("nowhere");
        ch.publish(new OutgoingMessage(ex.name(), "bound", raw("kept"), true));
        ch.publish(new OutgoingMessage(ex.name(), "nowhere", raw("dropped, not mandatory"), false));
        assertThat(new String(ch.get(q, true).content().body(), StandardCharsets.UTF_8)).isEqualTo("kept");
        assertThat(ch.get(q, true)).isNull();
    }

    @Test
    void channelErrorsMapAndTheChannelStaysUsable() {
        TransportChannel ch = conn.channel();
        assertThatThrownBy(() -> ch.publish(new OutgoingMessage(prefix + "no-such-exchange", "k", raw("x"), false)))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("no-such-exchange");
        String q = queue("q");
        ch.declareQueue(Queue.named(q).maxPriority(5).build(), false);
        assertThatThrownBy(() -> ch.declareQueue(Queue.named(q).maxPriority(9).build(), false))
                .isInstanceOf(PreconditionFailedException.class).hasMessageContaining("x-max-priority");
        assertThatThrownBy(() -> ch.declareQueue(Queue.of(prefix + "missing"), true))
                .isInstanceOf(NotFoundException.class).hasMessageContaining(prefix + "missing");
        assertThat(ch.isOpen()).isTrue();
        ch.publish(new OutgoingMessage("", q, raw("after errors"), false));
        assertThat(ch.declareQueue(Queue.named(q).maxPriority(5).build(), true).messageCount()).isEqualTo(1);
    }

    @Test
    void settlingAnUnknownTagIsAMessageStateErrorNotAChannelError() {
        TransportChannel ch = conn.channel();
        String q = queue("q");
        ch.declareQueue(Queue.of(q), false);
        ch.publish(new OutgoingMessage("", q, raw("m"), false));
        TransportMessage m = ch.get(q, false);
        ch.ack(m.deliveryTag());
        assertThatThrownBy(() -> ch.ack(m.deliveryTag())).isInstanceOf(MessageStateException.class);
        assertThatThrownBy(() -> ch.reject(999, true)).isInstanceOf(MessageStateException.class);
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.purge(q)).isZero();
    }

    @Test
    void everyKombuPropertyAndNestedHeadersTravel() {
        TransportChannel ch = conn.channel();
        String q = queue("q");
        ch.declareQueue(Queue.of(q), false);
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("compression", "application/x-gzip");
        headers.put("nested", Map.of("a", List.of("x", 1, Map.of("deep", "y"))));
        headers.put("big", 1L << 40);
        headers.put("flag", true);
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("delivery_mode", 1);
        props.put("priority", 3);
        props.put("correlation_id", "c-1");
        props.put("reply_to", "r-1");
        props.put("expiration", "60000");
        props.put("message_id", "m-1");
        props.put("timestamp", 1_700_000_000L);
        props.put("type", "task");
        props.put("user_id", "guest");
        props.put("app_id", "k4j");
        ch.publish(new OutgoingMessage("", q, new RawMessage(new byte[] {0, (byte) 0xff}, "application/data", "binary",
                headers, props), false));
        TransportMessage m = ch.get(q, true);
        assertThat(m.content().body()).containsExactly(0, 0xff);
        assertThat(m.content().contentType()).isEqualTo("application/data");
        assertThat(m.content().contentEncoding()).isEqualTo("binary");
        assertThat(m.content().headers()).containsEntry("compression", "application/x-gzip")
                .containsEntry("nested", Map.of("a", List.of("x", 1, Map.of("deep", "y"))))
                .containsEntry("big", 1L << 40).containsEntry("flag", true);
        assertThat(m.content().properties()).containsAllEntriesOf(props);
        assertThat(m.exchange()).isEmpty();
        assertThat(m.routingKey()).isEqualTo(q);
        assertThat(m.redelivered()).isFalse();
    }

    @Test
    void deliveriesRunOnTheHubAfterRegistration() throws Exception {
        String q = queue("q");
        Transport t = conn.transport();
        TransportChannel ch = t.createChannel();
        ch.declareQueue(Queue.of(q), false);
        Hub hub = new Hub();
        Thread loop = new Thread(hub::runForever, "test-hub");
        loop.start();
        try {
            t.registerWithEventLoop(hub);
            List<Boolean> onHub = new CopyOnWriteArrayList<>();
            ch.consume(q, null, false, m -> {
                onHub.add(hub.inHubThread());
                ch.ack(m.deliveryTag());
            });
            ch.publish(new OutgoingMessage("", q, raw("h"), false));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (onHub.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(onHub).containsExactly(true);
            assertThatThrownBy(() -> t.drainEvents(Duration.ofMillis(10))).isInstanceOf(IllegalStateException.class);
        } finally {
            hub.stop();
            loop.join(2000);
        }
    }

    @Test
    void connectionLossEndsDrainEventsPromptly() {
        String name = "k4j-loss-" + UUID.randomUUID();
        try (Connection c = Connection.open(url + "?connection_name=" + name)) {
            String q = queue("q");
            TransportChannel ch = c.channel();
            ch.declareQueue(Queue.of(q), false);
            ch.consume(q, null, false, m -> { });
            LocalRabbit.closeConnection(name);
            long start = System.nanoTime();
            assertThatThrownBy(() -> {
                while (System.nanoTime() - start < Duration.ofSeconds(10).toNanos()) {
                    c.drainEvents(Duration.ofSeconds(1));
                }
            }).isInstanceOf(OperationalException.class).hasMessageContaining("lost");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            assertThat(c.isConnected()).isFalse();
            assertThat(ch.isOpen()).isFalse();
        }
    }

    @Test
    void aChannelErrorThatKillsConsumersIsReportedByDrainEvents() {
        TransportChannel ch = conn.channel();
        String q = queue("q");
        ch.declareQueue(Queue.of(q), false);
        ch.consume(q, null, false, m -> { });
        assertThatThrownBy(() -> ch.publish(new OutgoingMessage(prefix + "no-such-exchange", "k", raw("x"), false)))
                .isInstanceOf(NotFoundException.class);
        assertThat(ch.isOpen()).isFalse();
        assertThatThrownBy(() -> conn.drainEvents(Duration.ofSeconds(2))).isInstanceOf(OperationalException.class)
                .hasMessageContaining("consumers");
        // Only that channel is gone: the connection and new channels work.
        assertThat(conn.isConnected()).isTrue();
        TransportChannel fresh = conn.channel();
        fresh.publish(new OutgoingMessage("", q, raw("still here"), false));
        assertThat(fresh.get(q, true)).isNotNull();
    }

    @Test
    void refusedLoginsAndMissingVirtualHostsAreConfigurationErrors() {
        assertThatThrownBy(() -> Connection.open("amqp://guest:wrong@127.0.0.1:5672//").transport())
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Connection.open("amqp://guest:guest@127.0.0.1:5672/k4j-no-such-vhost").transport())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("k4j-no-such-vhost");
        assertThatThrownBy(() -> Connection.open("amqp://guest:guest@127.0.0.1:1//?connect_timeout=2").transport())
                .isInstanceOf(OperationalException.class).hasMessageNotContaining("guest:guest");
    }
}
