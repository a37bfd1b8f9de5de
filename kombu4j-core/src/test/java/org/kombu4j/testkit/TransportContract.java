package org.kombu4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.ContentDisallowedException;
import org.kombu4j.DecodeException;
import org.kombu4j.ClosedException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.HandlerFailedException;
import org.kombu4j.HandlerFailure;
import org.kombu4j.Message;
import org.kombu4j.MessageStateException;
import org.kombu4j.NotFoundException;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.transport.PriorityOrder;
import org.kombu4j.transport.TransportCapabilities;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.Unroutable;

/**
 * The behaviour every transport must show, written once. A transport module runs it by extending
 * this class and naming a URL ({@link #url()}); Netty's transport test suite is the model.
 *
 * <p>Each test uses entity names unique to it (prefix {@code k4jct.}) and deletes what it created.
 * Fanout consumers start before publishing, since on some brokers (Redis) fanout is pub/sub.
 */
public abstract class TransportContract {
    /** How long a test waits for expected deliveries before failing. */
    protected static final Duration PATIENCE = Duration.ofSeconds(10);

    private final List<String> queues = new ArrayList<>();
    private final List<String> exchanges = new ArrayList<>();
    /** (exchange, routing key) pairs this test delayed messages to. */
    private final List<String[]> delayedTo = new ArrayList<>();
    private final List<Connection> connections = new ArrayList<>();
    private String prefix;

    /** The URL of the broker under test. */
    protected abstract String url();

    /** Opens a connection that is closed after the test. */
    protected Connection connect() {
        Connection c = Connection.open(url());
        connections.add(c);
        return c;
    }

    @BeforeEach
    void namePrefix(TestInfo info) {
        prefix = "k4jct." + info.getTestMethod().map(m -> m.getName()).orElse("t") + "."
                + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    @AfterEach
    void cleanUp() {
        for (Connection c : connections) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // Cleanup must go on.
            }
        }
        connections.clear();
        try (Connection c = Connection.open(url())) {
            for (String[] d : delayedTo) {
                try {
                    deleteDelayQueues(c, d[0], d[1]);
                } catch (RuntimeException ignored) {
                    // Cleanup must go on.
                }
            }
            TransportChannel ch = c.channel();
            for (String q : queues) {
                try {
                    ch.deleteQueue(q);
                } catch (RuntimeException ignored) {
                    // Already gone.
                }
            }
            for (String e : exchanges) {
                try {
                    ch.deleteExchange(e);
                } catch (RuntimeException ignored) {
                    // Already gone.
                }
            }
        }
        queues.clear();
        exchanges.clear();
        delayedTo.clear();
    }

    /**
     * Deletes what the transport keeps per delay destination, after a test that delayed messages to it: RabbitMQ's
     * last-hop queues. Only this test's destinations, as others may be delaying on the same broker. Nothing by
     * default.
     */
    protected void deleteDelayQueues(Connection c, String exchange, String routingKey) {
    }

    /** Notes that this test delays messages to {@code exchange} with {@code routingKey}, for cleanup. */
    private void delaysTo(String exchange, String routingKey) {
        delayedTo.add(new String[] {exchange, routingKey});
    }

    protected String queueName(String suffix) {
        String n = prefix + suffix;
        queues.add(n);
        return n;
    }

    protected Exchange exchange(String suffix, ExchangeType type) {
        String n = prefix + suffix;
        exchanges.add(n);
        return Exchange.of(n, type);
    }

    protected TransportCapabilities capabilities(Connection c) {
        return c.transport().capabilities();
    }

    /** Drains {@code c} until {@code done} holds or {@link #PATIENCE} passes. */
    protected static void drainUntil(Connection c, BooleanSupplier done) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(100));
        }
    }

    /** Drains for {@code d}, to show that nothing (more) arrives. */
    protected static void drainFor(Connection c, Duration d) {
        long deadline = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(50));
        }
    }

    private static final class Sink {
        final List<Object> bodies = new CopyOnWriteArrayList<>();
        final List<Message> messages = new CopyOnWriteArrayList<>();
    }

    private Consumer consumer(Connection c, Sink sink, boolean ack, Queue... qs) {
        return c.consumer(qs).onMessage((body, m) -> {
            sink.bodies.add(body);
            sink.messages.add(m);
            if (ack) {
                m.ack();
            }
        }).consume();
    }

    // ---------------------------------------------------------------- routing

    @Test
    void directExchangeRoutesByExactKey() {
        Connection c = connect();
        Exchange ex = exchange("direct", ExchangeType.DIRECT);
        Queue a = Queue.of(queueName("a"), ex, "key.a");
        Queue b = Queue.of(queueName("b"), ex, "key.b");
        Sink sa = new Sink();
        Sink sb = new Sink();
        consumer(c, sa, true, a);
        consumer(c, sb, true, b);
        Producer p = c.producer(ex);
        p.publish(Map.of("n", 1), "key.a");
        p.publish(Map.of("n", 2), "key.b");
        p.publish(Map.of("n", 3), "key.none");
        drainUntil(c, () -> sa.bodies.size() == 1 && sb.bodies.size() == 1);
        drainFor(c, Duration.ofMillis(200));
        assertThat(sa.bodies).containsExactly(Map.of("n", 1));
        assertThat(sb.bodies).containsExactly(Map.of("n", 2));
        assertThat(sa.messages.get(0).deliveryInfo().routingKey()).isEqualTo("key.a");
        assertThat(sa.messages.get(0).deliveryInfo().exchange()).isEqualTo(ex.name());
    }

    @Test
    void defaultExchangeRoutesToTheQueueNamedByTheKey() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Sink s = new Sink();
        consumer(c, s, true, q);
        c.producer().publish("hello", q.name());
        drainUntil(c, () -> s.bodies.size() == 1);
        assertThat(s.bodies).containsExactly("hello");
        assertThat(s.messages.get(0).contentType()).isEqualTo("text/plain");
    }

    @Test
    void topicExchangeMatchesWordsWithStarAndHash() {
        Connection c = connect();
        Exchange ex = exchange("topic", ExchangeType.TOPIC);
        Queue star = Queue.of(queueName("star"), ex, "order.*");
        Queue hash = Queue.of(queueName("hash"), ex, "order.#");
        Queue all = Queue.of(queueName("all"), ex, "#");
        Sink s1 = new Sink();
        Sink s2 = new Sink();
        Sink s3 = new Sink();
        consumer(c, s1, true, star);
        consumer(c, s2, true, hash);
        consumer(c, s3, true, all);
        Producer p = c.producer(ex);
        for (String key : List.of("order.created", "order.created.eu", "order", "invoice.paid")) {
            p.publish(key, key);
        }
        drainUntil(c, () -> s3.bodies.size() == 4 && s2.bodies.size() == 3 && s1.bodies.size() == 1);
        drainFor(c, Duration.ofMillis(200));
        assertThat(s1.bodies).containsExactly("order.created");
        assertThat(s2.bodies).containsExactlyInAnyOrder("order.created", "order.created.eu", "order");
        assertThat(s3.bodies).containsExactlyInAnyOrder("order.created", "order.created.eu", "order", "invoice.paid");
    }

    @Test
    void fanoutExchangeReachesEveryBoundQueueWhateverTheKey() {
        Connection c = connect();
        Exchange ex = exchange("fanout", ExchangeType.FANOUT);
        Queue a = Queue.of(queueName("a"), ex, "");
        Queue b = Queue.of(queueName("b"), ex, "");
        Sink sa = new Sink();
        Sink sb = new Sink();
        consumer(c, sa, true, a);
        consumer(c, sb, true, b);
        Producer p = c.producer(ex);
        p.publish(Map.of("x", 1));
        p.publish(Map.of("x", 2), "some.key");
        drainUntil(c, () -> sa.bodies.size() == 2 && sb.bodies.size() == 2);
        assertThat(sa.bodies).containsExactly(Map.of("x", 1), Map.of("x", 2));
        assertThat(sb.bodies).containsExactly(Map.of("x", 1), Map.of("x", 2));
    }

    @Test
    void headersExchangeMatchesAllOrAny() {
        Connection c = connect();
        if (!capabilities(c).exchangeTypes().contains(ExchangeType.HEADERS)) {
            return;
        }
        Exchange ex = exchange("headers", ExchangeType.HEADERS);
        Queue all = Queue.named(queueName("all"))
                .bind(Binding.of(ex, "", Map.of("x-match", "all", "format", "pdf", "type", "report"))).build();
        Queue any = Queue.named(queueName("any"))
                .bind(Binding.of(ex, "", Map.of("x-match", "any", "format", "pdf", "type", "log"))).build();
        Sink sAll = new Sink();
        Sink sAny = new Sink();
        consumer(c, sAll, true, all);
        consumer(c, sAny, true, any);
        Producer p = c.producer(ex);
        p.publish("both", PublishOptions.builder().header("format", "pdf").header("type", "report").build());
        p.publish("log", PublishOptions.builder().header("format", "zip").header("type", "log").build());
        p.publish("none", PublishOptions.builder().header("format", "zip").build());
        drainUntil(c, () -> sAll.bodies.size() == 1 && sAny.bodies.size() == 2);
        drainFor(c, Duration.ofMillis(200));
        assertThat(sAll.bodies).containsExactly("both");
        assertThat(sAny.bodies).containsExactlyInAnyOrder("both", "log");
    }

    // ---------------------------------------------------------------- priorities

    @Test
    void prioritiesAreConsumedInTheTransportsOrder() {
        Connection c = connect();
        TransportCapabilities caps = capabilities(c);
        if (caps.priorityOrder() == PriorityOrder.NONE) {
            return;
        }
        Exchange ex = exchange("prio", ExchangeType.DIRECT);
        Queue.Builder qb = Queue.named(queueName("q")).bind(ex, "p");
        if (caps.priorityNeedsMaxPriority()) {
            qb.maxPriority(9);
        }
        Queue q = qb.build();
        Producer p = c.producer(ex);
        p.publish("declare", PublishOptions.builder().routingKey("nothing-bound").declare(q).build());
        for (int prio : List.of(0, 9, 3, 6)) {
            p.publish(prio, PublishOptions.builder().routingKey("p").priority(prio).build());
        }
        Sink s = new Sink();
        c.consumer(q).prefetch(1).onMessage((body, m) -> {
            s.bodies.add(body);
            m.ack();
        }).consume();
        drainUntil(c, () -> s.bodies.size() == 4);
        List<Object> expected = caps.priorityOrder() == PriorityOrder.HIGHER_FIRST ? List.of(9, 6, 3, 0) : List.of(0, 3, 6, 9);
        assertThat(s.bodies).containsExactlyElementsOf(expected);
    }

    /** Whether the transport routes in kombu4j, so that a dropped publish is counted by {@link Unroutable}. */
    protected boolean routesInKombu4j() {
        return true;
    }

    @Test
    void aPublishNoQueueTakesIsDroppedWithAWarning() {
        Connection c = connect();
        Exchange ex = exchange("unroutable", ExchangeType.DIRECT);
        Queue q = Queue.of(queueName("q"), ex, "bound");
        Producer p = c.producer(ex);
        p.publish("first", PublishOptions.builder().routingKey("bound").declare(q).build());
        long before = Unroutable.droppedTotal();
        p.publish("lost", PublishOptions.builder().routingKey("nobody").build());
        p.publish("second", PublishOptions.builder().routingKey("bound").build());
        Sink s = new Sink();
        consumer(c, s, true, q);
        drainUntil(c, () -> s.bodies.size() == 2);
        c.close(); // a pipelined publish is answered by then
        assertThat(s.bodies).containsExactly("first", "second");
        if (routesInKombu4j()) {
            assertThat(Unroutable.droppedTotal()).isGreaterThan(before);
        }
    }

    // ---------------------------------------------------------------- ack / reject / requeue

    @Test
    void ackedMessagesAreGoneAndADoubleAckIsAnError() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        c.producer().publish(Map.of("a", 1), PublishOptions.builder().routingKey(q.name()).declare(q).build());
        Sink s = new Sink();
        Consumer consumer = consumer(c, s, true, q);
        drainUntil(c, () -> s.messages.size() == 1);
        Message m = s.messages.get(0);
        assertThat(m.state()).isEqualTo(Message.State.ACKNOWLEDGED);
        assertThatThrownBy(m::ack).isInstanceOf(MessageStateException.class).hasMessageContaining("already acknowledged");
        assertThatThrownBy(() -> m.reject(true)).isInstanceOf(MessageStateException.class);
        consumer.close();
        c.close();
        Connection c2 = connect();
        Sink s2 = new Sink();
        consumer(c2, s2, true, q);
        drainFor(c2, Duration.ofMillis(300));
        assertThat(s2.messages).isEmpty();
    }

    @Test
    void requeuedMessageComesBackMarkedRedelivered() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        c.producer().publish("once", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        Sink s = new Sink();
        c.consumer(q).onMessage((body, m) -> {
            s.messages.add(m);
            if (s.messages.size() == 1) {
                m.requeue();
            } else {
                m.ack();
            }
        }).consume();
        drainUntil(c, () -> s.messages.size() == 2);
        assertThat(s.messages).hasSize(2);
        assertThat(s.messages.get(0).isRedelivered()).isFalse();
        assertThat(s.messages.get(1).isRedelivered()).isTrue();
        assertThat(s.messages.get(1).bodyAsString()).isEqualTo("once");
    }

    @Test
    void rejectedWithoutRequeueIsNotRedelivered() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish("drop", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish("keep", q.name());
        Sink s = new Sink();
        c.consumer(q).onMessage((body, m) -> {
            s.bodies.add(body);
            if ("drop".equals(body)) {
                m.reject(false);
            } else {
                m.ack();
            }
        }).consume();
        drainUntil(c, () -> s.bodies.size() == 2);
        drainFor(c, Duration.ofMillis(300));
        assertThat(s.bodies).containsExactly("drop", "keep");
    }

    // ---------------------------------------------------------------- prefetch

    @Test
    void prefetchLimitsUnacknowledgedDeliveries() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish(0, PublishOptions.builder().routingKey(q.name()).declare(q).build());
        for (int i = 1; i < 5; i++) {
            p.publish(i, q.name());
        }
        Sink s = new Sink();
        c.consumer(q).prefetch(2).onMessage((body, m) -> s.messages.add(m)).consume();
        drainUntil(c, () -> s.messages.size() == 2);
        drainFor(c, Duration.ofMillis(300));
        assertThat(s.messages).hasSize(2);
        s.messages.get(0).ack();
        drainUntil(c, () -> s.messages.size() == 3);
        drainFor(c, Duration.ofMillis(200));
        assertThat(s.messages).hasSize(3);
        for (Message m : new ArrayList<>(s.messages)) {
            if (!m.isSettled()) {
                m.ack();
            }
        }
        drainUntil(c, () -> s.messages.size() == 5);
        assertThat(s.messages).hasSize(5);
    }

    // ---------------------------------------------------------------- purge / declare

    @Test
    void purgeRemovesReadyMessagesAndSaysHowMany() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish(1, PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish(2, q.name());
        p.publish(3, q.name());
        TransportChannel ch = c.channel();
        assertThat(ch.purge(q.name())).isEqualTo(3);
        assertThat(ch.get(q.name(), true)).isNull();
    }

    @Test
    void passiveDeclareOfAMissingQueueFailsClearly() {
        Connection c = connect();
        String name = queueName("missing");
        TransportChannel ch = c.channel();
        assertThatThrownBy(() -> ch.declareQueue(Queue.of(name), true))
                .isInstanceOf(NotFoundException.class).hasMessageContaining(name);
    }

    @Test
    void passiveDeclareOfAnExistingEmptyQueueSucceeds() {
        Connection c = connect();
        Queue q = Queue.of(queueName("empty"));
        TransportChannel ch = c.channel();
        ch.declareQueue(q, false);
        assertThat(ch.declareQueue(q, true).name()).isEqualTo(q.name());
    }

    // ---------------------------------------------------------------- content

    @Test
    void contentTypeOutsideTheAcceptListIsRefusedNotLost() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish("plain text", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish(Map.of("ok", true), q.name());
        List<DecodeException> errors = new CopyOnWriteArrayList<>();
        Sink s = new Sink();
        c.consumer(q).accept("json").onMessage((body, m) -> {
            s.bodies.add(body);
            m.ack();
        }).onDecodeError((m, e) -> {
            errors.add(e);
            m.ack();
        }).consume();
        drainUntil(c, () -> errors.size() == 1 && s.bodies.size() == 1);
        assertThat(errors.get(0)).isInstanceOf(ContentDisallowedException.class).hasMessageContaining("text/plain");
        assertThat(s.bodies).containsExactly(Map.of("ok", true));
    }

    @Test
    void undecodableBodyNeitherStopsTheConsumerNorVanishes() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish("{not json".getBytes(StandardCharsets.UTF_8), PublishOptions.builder().routingKey(q.name())
                .contentType("application/json", "utf-8").declare(q).build());
        p.publish(Map.of("good", 1), q.name());
        Sink s = new Sink();
        Consumer consumer = c.consumer(q).onMessage((body, m) -> {
            s.bodies.add(body);
            m.ack();
        }).consume(); // default decode-error handler: log and keep unacknowledged
        drainUntil(c, () -> s.bodies.size() == 1);
        assertThat(s.bodies).containsExactly(Map.of("good", 1));
        consumer.close();
        // The bad message went back to the queue when the consumer closed.
        Connection c2 = connect();
        List<Message> raw = new CopyOnWriteArrayList<>();
        c2.consumer(q).onRawMessage(m -> {
            raw.add(m);
            m.ack();
        }).consume();
        drainUntil(c2, () -> raw.size() == 1);
        assertThat(raw).hasSize(1);
        assertThat(new String(raw.get(0).body(), StandardCharsets.UTF_8)).isEqualTo("{not json");
        assertThat(raw.get(0).isRedelivered()).isTrue();
        assertThatThrownBy(raw.get(0)::decode).isInstanceOf(DecodeException.class).hasMessageContaining("application/json");
    }

    @Test
    void everySerializerAndCompressorRoundTrips() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", "kombu4j ✓");
        doc.put("n", 42);
        doc.put("list", List.of(1, 2, 3));
        List<String> compressions = new ArrayList<>();
        compressions.add(null);
        compressions.addAll(c.compressors().names());
        Producer p = c.producer();
        c.channel().declareQueue(q, false);
        List<String> sent = new ArrayList<>();
        for (String ser : c.serializers().names()) {
            for (String comp : compressions) {
                Object body = ser.equals("raw") ? ("raw " + comp).getBytes(StandardCharsets.UTF_8)
                        : ser.equals("text") ? "text " + comp : doc;
                PublishOptions.Builder o = PublishOptions.builder().routingKey(q.name()).serializer(ser)
                        .header("case", ser + "/" + comp);
                if (comp != null) {
                    o.compression(comp);
                }
                p.publish(body, o.build());
                sent.add(ser + "/" + comp);
            }
        }
        Map<String, Object> got = Collections.synchronizedMap(new LinkedHashMap<>());
        c.consumer(q).onMessage((body, m) -> {
            got.put(String.valueOf(m.headers().get("case")), body);
            m.ack();
        }).consume();
        drainUntil(c, () -> got.size() == sent.size());
        assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(sent);
        got.forEach((k, v) -> {
            String ser = k.substring(0, k.indexOf('/'));
            String comp = k.substring(k.indexOf('/') + 1);
            if (ser.equals("raw")) {
                assertThat(new String((byte[]) v, StandardCharsets.UTF_8)).as(k).isEqualTo("raw " + comp);
            } else if (ser.equals("text")) {
                assertThat(v).as(k).isEqualTo("text " + comp);
            } else {
                assertThat(v).as(k).isEqualTo(doc);
            }
        });
    }

    @Test
    void headersAndPropertiesTravel() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        c.producer().publish(Map.of("k", "v"), PublishOptions.builder().routingKey(q.name()).declare(q)
                .header("x-trace", "abc").header("attempt", 3).correlationId("corr-1").replyTo("replies")
                .priority(5).build());
        Sink s = new Sink();
        consumer(c, s, true, q);
        drainUntil(c, () -> s.messages.size() == 1);
        Message m = s.messages.get(0);
        assertThat(m.headers()).containsEntry("x-trace", "abc").containsEntry("attempt", 3);
        assertThat(m.correlationId()).isEqualTo("corr-1");
        assertThat(m.replyTo()).isEqualTo("replies");
        assertThat(m.properties()).containsEntry("delivery_mode", 2);
        assertThat(m.contentType()).isEqualTo("application/json");
        assertThat(m.contentEncoding()).isEqualTo("utf-8");
    }

    // ---------------------------------------------------------------- consumers

    @Test
    void cancelledConsumerReceivesNothingMoreAndMessagesStay() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Sink s = new Sink();
        Consumer consumer = consumer(c, s, true, q);
        Producer p = c.producer();
        p.publish(1, q.name());
        drainUntil(c, () -> s.bodies.size() == 1);
        consumer.cancel();
        p.publish(2, q.name());
        drainFor(c, Duration.ofMillis(300));
        assertThat(s.bodies).containsExactly(1);
        assertThat(consumer.isConsuming()).isFalse();
        TransportChannel ch = c.channel();
        assertThat(ch.get(q.name(), true)).isNotNull();
    }

    @Test
    void severalConsumersOnOneConnectionEachGetTheirQueue() {
        Connection c = connect();
        Sink[] sinks = new Sink[3];
        Queue[] qs = new Queue[3];
        for (int i = 0; i < 3; i++) {
            sinks[i] = new Sink();
            qs[i] = Queue.of(queueName("q" + i));
            consumer(c, sinks[i], true, qs[i]);
        }
        Producer p = c.producer();
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 3; i++) {
                p.publish(i * 100 + round, qs[i].name());
            }
        }
        drainUntil(c, () -> sinks[0].bodies.size() == 5 && sinks[1].bodies.size() == 5 && sinks[2].bodies.size() == 5);
        for (int i = 0; i < 3; i++) {
            assertThat(sinks[i].bodies).containsExactly(i * 100, i * 100 + 1, i * 100 + 2, i * 100 + 3, i * 100 + 4);
        }
    }

    @Test
    void oneConsumerOverSeveralQueues() {
        Connection c = connect();
        Queue a = Queue.of(queueName("a"));
        Queue b = Queue.of(queueName("b"));
        Sink s = new Sink();
        consumer(c, s, true, a, b);
        c.producer().publish("to a", a.name());
        c.producer().publish("to b", b.name());
        drainUntil(c, () -> s.bodies.size() == 2);
        assertThat(s.bodies).containsExactlyInAnyOrder("to a", "to b");
    }

    @Test
    void unackedMessagesAreRestoredOnCloseMarkedRedelivered() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish("m1", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish("m2", q.name());
        Sink s = new Sink();
        c.consumer(q).onMessage((body, m) -> s.messages.add(m)).consume();
        drainUntil(c, () -> s.messages.size() == 2);
        assertThat(s.messages).hasSize(2);
        c.close();
        Connection c2 = connect();
        Sink s2 = new Sink();
        consumer(c2, s2, true, q);
        drainUntil(c2, () -> s2.messages.size() == 2);
        assertThat(s2.bodies).containsExactly("m1", "m2");
        assertThat(s2.messages).allMatch(Message::isRedelivered);
    }

    @Test
    void noAckConsumersNeedNoAcknowledgement() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish(1, PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish(2, q.name());
        Sink s = new Sink();
        c.consumer(q).noAck(true).prefetch(1).onMessage((body, m) -> s.messages.add(m)).consume();
        drainUntil(c, () -> s.messages.size() == 2);
        assertThat(s.messages).hasSize(2);
        c.close();
        Connection c2 = connect();
        assertThat(c2.channel().get(q.name(), true)).isNull();
    }

    @Test
    void basicGetTakesOneMessageAtATime() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish("first", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish("second", q.name());
        TransportChannel ch = c.channel();
        assertThat(new String(ch.get(q.name(), true).content().body(), StandardCharsets.UTF_8)).isEqualTo("first");
        assertThat(new String(ch.get(q.name(), true).content().body(), StandardCharsets.UTF_8)).isEqualTo("second");
        assertThat(ch.get(q.name(), true)).isNull();
    }

    // ---------------------------------------------------------------- recover / event loop

    @Test
    void recoverRedeliversUnacknowledgedMessagesMarkedRedelivered() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish("r1", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish("r2", q.name());
        Sink s = new Sink();
        Consumer consumer = c.consumer(q).onMessage((body, m) -> {
            s.messages.add(m);
            if (m.isRedelivered()) {
                m.ack();
            }
        }).consume();
        drainUntil(c, () -> s.messages.size() == 2);
        assertThat(s.messages).hasSize(2).noneMatch(Message::isRedelivered);
        consumer.recover(true);
        drainUntil(c, () -> s.messages.size() == 4);
        assertThat(s.messages).hasSize(4);
        assertThat(s.messages.subList(2, 4)).allMatch(Message::isRedelivered);
        assertThat(s.messages.subList(2, 4).stream().map(Message::bodyAsString)).containsExactlyInAnyOrder("r1", "r2");
    }

    @Test
    void deliveriesRunOnTheHubThreadWhenRegisteredWithAnEventLoop() throws Exception {
        Connection c = connect();
        Queue a = Queue.of(queueName("a"));
        Queue b = Queue.of(queueName("b"));
        List<String> threads = new CopyOnWriteArrayList<>();
        Sink s = new Sink();
        try (org.kombu4j.hub.Hub hub = new org.kombu4j.hub.Hub()) {
            Thread loop = new Thread(hub::runForever, "contract-hub");
            loop.start();
            try {
                c.registerWithEventLoop(hub);
                c.consumer(a, b).onMessage((body, m) -> {
                    threads.add(Thread.currentThread().getName());
                    s.bodies.add(body);
                    m.ack();
                }).consume();
                Producer p = connect().producer();
                for (int i = 0; i < 5; i++) {
                    p.publish("a" + i, a.name());
                    p.publish("b" + i, b.name());
                }
                long deadline = System.nanoTime() + PATIENCE.toNanos();
                while (s.bodies.size() < 10 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(s.bodies).hasSize(10);
                assertThat(threads).containsOnly("contract-hub");
            } finally {
                hub.stop();
                loop.join(5000);
            }
        }
    }

    // ---------------------------------------------------------------- one behaviour on every transport

    /** The ready messages of {@code queue} as the broker counts them (a passive declare), or -1 if it cannot. */
    protected long readyCount(Connection c, Queue queue) {
        return c.channel().declareQueue(queue, true).messageCount();
    }

    /** Waits until {@code queue} holds {@code expected} ready messages (where the transport counts them). */
    private void awaitReady(Connection c, Queue queue, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        long n = readyCount(c, queue);
        while (n >= 0 && n != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            n = readyCount(c, queue);
        }
        if (n >= 0) {
            assertThat(n).as("ready messages in %s", queue.name()).isEqualTo(expected);
        }
    }

    @Test
    void handlerFailureStopsTheConsumerAndEndsTheDrainKeepingTheMessage() throws Exception {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish("m0", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish("m1", q.name());
        p.publish("m2", q.name());
        RuntimeException boom = new IllegalStateException("boom");
        AtomicInteger calls = new AtomicInteger();
        Consumer consumer = c.consumer(q).onMessage((body, m) -> {
            calls.incrementAndGet();
            throw boom;
        }).consume(); // STOP is the default
        assertThatThrownBy(() -> drainUntil(c, () -> false))
                .isInstanceOf(HandlerFailedException.class)
                .hasCauseReference(boom)
                .hasMessageContaining(q.name());
        assertThat(consumer.isConsuming()).isFalse();
        drainFor(c, Duration.ofMillis(300));
        assertThat(calls).as("handler calls: the stopped consumer takes nothing more").hasValue(1);
        c.close();
        Connection c2 = connect();
        awaitReady(c2, q, 3);
        Sink s2 = new Sink();
        consumer(c2, s2, true, q);
        drainUntil(c2, () -> s2.messages.size() == 3);
        assertThat(s2.bodies).containsExactlyInAnyOrder("m0", "m1", "m2");
        assertThat(s2.messages.stream().filter(m -> "m0".equals(m.bodyAsString())).findFirst().orElseThrow()
                .isRedelivered()).as("the failed message comes back marked redelivered").isTrue();
    }

    @Test
    void handlerFailureWithRequeueRedeliversMarkedRedelivered() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        c.producer().publish("again", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        Sink s = new Sink();
        c.consumer(q).onHandlerFailure(HandlerFailure.REQUEUE).onMessage((body, m) -> {
            s.messages.add(m);
            if (s.messages.size() == 1) {
                throw new IllegalStateException("first attempt fails");
            }
            m.ack();
        }).consume();
        drainUntil(c, () -> s.messages.size() == 2);
        drainFor(c, Duration.ofMillis(200));
        assertThat(s.messages).hasSize(2);
        assertThat(s.messages.get(0).isRedelivered()).isFalse();
        assertThat(s.messages.get(1).isRedelivered()).isTrue();
        assertThat(s.messages.get(1).bodyAsString()).isEqualTo("again");
    }

    @Test
    void handlerFailureWithRejectDropsTheMessage() throws Exception {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish("drop", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        p.publish("keep", q.name());
        Sink s = new Sink();
        c.consumer(q).onHandlerFailure(HandlerFailure.REJECT).onMessage((body, m) -> {
            s.bodies.add(body);
            if ("drop".equals(body)) {
                throw new IllegalStateException("cannot handle it");
            }
            m.ack();
        }).consume();
        drainUntil(c, () -> s.bodies.size() == 2);
        drainFor(c, Duration.ofMillis(300));
        assertThat(s.bodies).containsExactly("drop", "keep");
        c.close();
        Connection c2 = connect();
        awaitReady(c2, q, 0);
        assertThat(c2.channel().get(q.name(), true)).isNull();
    }

    @Test
    void prefetchIsAnExactBound() throws Exception {
        int n = 10;
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        p.publish(0, PublishOptions.builder().routingKey(q.name()).declare(q).build());
        for (int i = 1; i < 3 * n; i++) {
            p.publish(i, q.name());
        }
        Sink s = new Sink();
        c.consumer(q).prefetch(n).onMessage((body, m) -> s.messages.add(m)).consume();
        drainUntil(c, () -> s.messages.size() >= n);
        drainFor(c, Duration.ofMillis(500));
        assertThat(s.messages).as("in flight with prefetch %d and no ack", n).hasSize(n);
        awaitReady(connect(), q, 2L * n);
        s.messages.get(0).ack();
        drainUntil(c, () -> s.messages.size() >= n + 1);
        drainFor(c, Duration.ofMillis(300));
        assertThat(s.messages).as("after one ack").hasSize(n + 1);
    }

    @Test
    void closeFromAnotherThreadEndsADrainWithClosedException() throws Exception {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        c.channel().declareQueue(q, false);
        c.consumer(q).onMessage((body, m) -> m.ack()).consume();
        assertClosedPromptlyWhile(c, () -> c.drainEvents(Duration.ofSeconds(30)));
        assertThatThrownBy(() -> c.drainEvents(Duration.ofSeconds(1))).isInstanceOf(ClosedException.class);
    }

    @Test
    void closeFromAnotherThreadEndsAConsumerLoopWithClosedException() throws Exception {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        ConsumerLoop loop = ConsumerLoop.builder(c, conn -> List.of(conn.consumer(q).onMessage((body, m) -> m.ack()).build()))
                .drainTimeout(Duration.ofSeconds(30)).build();
        assertClosedPromptlyWhile(c, loop::run);
        assertThat(loop.isRunning()).isFalse();
    }

    // ---------------------------------------------------------------- delayed delivery

    /**
     * Where a transport counts deliveries for {@link Queue.Builder#deliveryLimit}: RabbitMQ only on quorum queues,
     * which its contract test asks for here; the other transports count on any queue.
     */
    protected Queue.Builder countingDeliveries(Queue.Builder queue) {
        return queue;
    }

    @Test
    void delayedMessagesAreNeverEarlyAndArriveWhenDue() {
        Connection c = connect();
        Queue q = Queue.of(queueName("q"));
        Producer p = c.producer();
        if (!capabilities(c).delayedDelivery()) {
            assertThatThrownBy(() -> p.publish("x", PublishOptions.builder().routingKey(q.name())
                    .countdown(Duration.ofSeconds(1)).build())).isInstanceOf(org.kombu4j.ConfigurationException.class)
                    .hasMessageContaining("delay");
            return;
        }
        delaysTo("", q.name());
        Map<Object, Long> arrived = new java.util.concurrent.ConcurrentHashMap<>();
        c.consumer(q).onMessage((body, m) -> {
            arrived.put(body, System.currentTimeMillis());
            m.ack();
        }).consume();
        long before = System.currentTimeMillis();
        p.publish("late", PublishOptions.builder().routingKey(q.name()).countdown(Duration.ofMillis(1500)).build());
        p.publish("mid", PublishOptions.builder().routingKey(q.name()).eta(java.time.Instant.ofEpochMilli(before + 700)).build());
        p.publish("now", PublishOptions.builder().routingKey(q.name()).countdown(Duration.ZERO).build());
        p.publish("past", PublishOptions.builder().routingKey(q.name()).eta(java.time.Instant.ofEpochMilli(before - 60_000)).build());
        long after = System.currentTimeMillis();
        drainUntil(c, () -> arrived.size() == 4);
        drainFor(c, Duration.ofMillis(300));
        assertThat(arrived).containsOnlyKeys("late", "mid", "now", "past");
        assertThat(arrived.get("mid")).isGreaterThanOrEqualTo(before + 700).isLessThan(after + 700 + 3000);
        assertThat(arrived.get("late")).isGreaterThanOrEqualTo(before + 1500).isLessThan(after + 1500 + 3000);
        assertThat(arrived.get("now")).isLessThan(arrived.get("mid"));
        assertThat(arrived.get("past")).isLessThan(arrived.get("mid"));
    }

    @Test
    void aDelayedMessageIsNotInFlightWhileItWaits() {
        Connection c = connect();
        if (!capabilities(c).delayedDelivery()) {
            return;
        }
        Queue q = Queue.of(queueName("q"));
        // A consumer that takes nothing and leaves: a message in flight would be held by it and come back redelivered.
        Connection early = connect();
        Sink none = new Sink();
        consumer(early, none, false, q);
        delaysTo("", q.name());
        c.producer().publish("later", PublishOptions.builder().routingKey(q.name()).countdown(Duration.ofMillis(800)).build());
        drainFor(early, Duration.ofMillis(300));
        early.close();
        assertThat(none.bodies).isEmpty();
        Sink s = new Sink();
        consumer(c, s, true, q);
        drainUntil(c, () -> s.bodies.size() == 1);
        drainFor(c, Duration.ofMillis(500));
        assertThat(s.bodies).containsExactly("later");
        assertThat(s.messages.get(0).isRedelivered()).isFalse();
    }

    // ---------------------------------------------------------------- dead letters

    /** A dead-letter exchange with queue {@code dlq} bound by {@code "dead"}, consumed into {@code sink}. */
    private Exchange deadLetterTarget(Connection c, Sink sink) {
        Exchange dlx = exchange("dlx", ExchangeType.DIRECT);
        // Raw, so that an undecodable dead letter is seen too.
        c.consumer(Queue.of(queueName("dlq"), dlx, "dead")).onRawMessage(m -> {
            try {
                sink.bodies.add(m.decode());
            } catch (DecodeException e) {
                sink.bodies.add(new String(m.body(), StandardCharsets.UTF_8));
            }
            sink.messages.add(m);
            m.ack();
        }).consume();
        return dlx;
    }

    private static Map<?, ?> lastDeath(Message m) {
        Object deaths = m.headers().get(org.kombu4j.transport.DeadLetters.X_DEATH);
        assertThat(deaths).as("x-death of %s", m.headers()).isInstanceOf(List.class);
        return (Map<?, ?>) ((List<?>) deaths).get(0);
    }

    @Test
    void aRejectedMessageIsDeadLetteredWithWhyAndWhere() {
        Connection c = connect();
        if (!capabilities(c).deadLetters()) {
            return;
        }
        Sink dead = new Sink();
        Exchange dlx = deadLetterTarget(c, dead);
        Exchange ex = exchange("work", ExchangeType.DIRECT);
        Queue q = Queue.named(queueName("q")).bind(ex, "job").deadLetter(dlx.name(), "dead").build();
        c.consumer(q).onMessage((body, m) -> m.reject(false)).consume();
        c.producer(ex).publish(Map.of("n", 1), PublishOptions.builder().routingKey("job").header("h", "v").build());
        drainUntil(c, () -> dead.bodies.size() == 1);
        drainFor(c, Duration.ofMillis(300));
        assertThat(dead.bodies).containsExactly(Map.of("n", 1));
        Message m = dead.messages.get(0);
        assertThat(m.headers()).containsEntry("h", "v");
        Map<?, ?> death = lastDeath(m);
        assertThat(String.valueOf(death.get("reason"))).isEqualTo(org.kombu4j.transport.DeadLetters.REJECTED);
        assertThat(String.valueOf(death.get("queue"))).isEqualTo(q.name());
        assertThat(String.valueOf(death.get("exchange"))).isEqualTo(ex.name());
        assertThat(String.valueOf(death.get("routing-keys"))).contains("job");
        assertThat(((Number) death.get("count")).longValue()).isEqualTo(1);
        assertThat(String.valueOf(m.headers().get("x-first-death-reason"))).isEqualTo("rejected");
        assertThat(m.deliveryInfo().routingKey()).isEqualTo("dead");
    }

    @Test
    void aMessageReturnedMoreThanTheDeliveryLimitIsDeadLettered() {
        Connection c = connect();
        if (!capabilities(c).deadLetters()) {
            return;
        }
        Sink dead = new Sink();
        Exchange dlx = deadLetterTarget(c, dead);
        Queue q = countingDeliveries(Queue.named(queueName("q")).deadLetter(dlx.name(), "dead").deliveryLimit(2)).build();
        AtomicInteger deliveries = new AtomicInteger();
        c.consumer(q).onMessage((body, m) -> {
            deliveries.incrementAndGet();
            m.requeue();
        }).consume();
        c.producer().publish("poison", q.name());
        drainUntil(c, () -> dead.bodies.size() == 1);
        drainFor(c, Duration.ofMillis(500));
        assertThat(dead.bodies).containsExactly("poison");
        assertThat(deliveries.get()).as("deliveries with limit 2: the first and two returns").isEqualTo(3);
        assertThat(String.valueOf(lastDeath(dead.messages.get(0)).get("reason")))
                .isEqualTo(org.kombu4j.transport.DeadLetters.DELIVERY_LIMIT);
    }

    @Test
    void anUndecodableMessageIsDeadLetteredAsUndecodable() {
        Connection c = connect();
        if (!capabilities(c).deadLetters()) {
            return;
        }
        Sink dead = new Sink();
        Exchange dlx = deadLetterTarget(c, dead);
        Queue q = Queue.named(queueName("q")).deadLetter(dlx.name(), "dead").build();
        Sink good = new Sink();
        consumer(c, good, true, q);
        Producer p = c.producer();
        p.publish("{not json", PublishOptions.builder().routingKey(q.name()).contentType("application/json", "utf-8").build());
        p.publish(Map.of("ok", true), q.name());
        drainUntil(c, () -> dead.bodies.size() == 1 && good.bodies.size() == 1);
        drainFor(c, Duration.ofMillis(300));
        assertThat(good.bodies).containsExactly(Map.of("ok", true));
        assertThat(dead.messages).hasSize(1);
        Message m = dead.messages.get(0);
        assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("{not json");
        assertThat(String.valueOf(lastDeath(m).get("reason"))).isEqualTo(org.kombu4j.transport.DeadLetters.UNDECODABLE);
        assertThat(String.valueOf(lastDeath(m).get("queue"))).isEqualTo(q.name());
    }

    /** Runs {@code consuming} on this thread while another closes {@code c}: it must end in ClosedException within seconds. */
    private static void assertClosedPromptlyWhile(Connection c, Runnable consuming) throws InterruptedException {
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            c.close();
        }, "contract-closer");
        long start = System.nanoTime();
        closer.start();
        try {
            assertThatThrownBy(consuming::run).isInstanceOf(ClosedException.class);
        } finally {
            closer.join(10_000);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
}
