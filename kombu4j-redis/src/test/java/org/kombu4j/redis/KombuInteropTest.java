package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Message;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;

/** Java and Python Kombu 5.2 on the same Redis database (13): each publishes, the other consumes. */
class KombuInteropTest {
    private static final String URL = "redis://127.0.0.1:6379/13";
    private String id;
    private final List<Connection> open = new ArrayList<>();

    @BeforeEach
    void setUp() {
        TestRedis.require();
        KombuPeer.require();
        id = "k4j.interop." + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void cleanUp() {
        open.forEach(Connection::close);
        try (RedisConnection c = RedisConnection.open(new RedisEndpoint("127.0.0.1", 6379, null, null, 13, Duration.ofSeconds(2),
                Duration.ofSeconds(5)), false, null)) {
            List<Object> ks = Resp.array(Resp.array(c.call(List.of("SCAN", "0", "MATCH", "*" + id + "*", "COUNT", "100000"))).get(1));
            for (Object k : ks) {
                c.call(List.of("DEL", k));
            }
            Object types = c.call(List.of("HKEYS", "_kombu4j.exchange.types"));
            for (Object t : Resp.array(types)) {
                if (Resp.text(t).contains(id)) {
                    c.call(List.of("HDEL", "_kombu4j.exchange.types", t));
                }
            }
            for (Object q : Resp.array(c.call(List.of("SMEMBERS", "_kombu4j.queues")))) {
                if (Resp.text(q).contains(id)) {
                    c.call(List.of("SREM", "_kombu4j.queues", q));
                }
            }
        }
    }

    private Connection connect() {
        Connection c = Connection.open(URL);
        open.add(c);
        return c;
    }

    private static void drainUntil(Connection c, BooleanSupplier done, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(100));
        }
    }

    @Test
    void javaPublishesDirectWithHeadersPropertiesAndZlibPythonConsumes() throws Exception {
        Connection c = connect();
        Exchange ex = Exchange.of(id + ".direct", ExchangeType.DIRECT);
        Queue q = Queue.of(id + ".q", ex, "rk");
        c.producer(ex).publish(Map.of("hello", "world", "n", 7), PublishOptions.builder().routingKey("rk").declare(q)
                .header("x-trace", "abc").correlationId("corr-1").replyTo("replies").compression("zlib").build());
        try (KombuPeer.Peer py = KombuPeer.start("consume", "--url", URL, "--exchange", ex.name(), "--type", "direct",
                "--routing-key", "rk", "--queue", q.name(), "--count", "1", "--idle", "5")) {
            List<Map<String, Object>> got = py.done(30);
            assertThat(got).hasSize(1);
            Map<String, Object> m = got.get(0);
            assertThat(m.get("body")).isEqualTo(Map.of("hello", "world", "n", 7));
            assertThat((Map<String, Object>) m.get("headers")).containsEntry("x-trace", "abc")
                    .containsEntry("compression", "application/x-gzip");
            assertThat((Map<String, Object>) m.get("properties")).containsEntry("correlation_id", "corr-1")
                    .containsEntry("reply_to", "replies").containsEntry("delivery_mode", 2);
            assertThat(m.get("delivery_info")).isEqualTo(Map.of("exchange", ex.name(), "routing_key", "rk"));
            assertThat(m.get("content_type")).isEqualTo("application/json");
        }
    }

    @Test
    void aDelayedMessageWaitsWherePythonConsumersCannotTakeIt() throws Exception {
        Connection c = connect();
        Queue q = Queue.of(id + ".q");
        c.producer().publish("later", PublishOptions.builder().routingKey(q.name()).declare(q).countdown(Duration.ofSeconds(3)).build());
        c.producer().publish("now", PublishOptions.builder().routingKey(q.name()).build());
        // A Python consumer of the queue meanwhile gets only the message due now.
        try (KombuPeer.Peer py = KombuPeer.start("consume", "--url", URL, "--queue", q.name(), "--count", "2", "--idle", "1.5")) {
            List<Map<String, Object>> got = py.done(30);
            assertThat(got).extracting(m -> m.get("body")).containsExactly("now");
        }
        // A kombu4j consumer moves it into the queue when due, as an ordinary, not redelivered message.
        List<Message> later = new CopyOnWriteArrayList<>();
        c.consumer(q).onMessage((body, m) -> {
            later.add(m);
            m.ack();
        }).consume();
        drainUntil(c, () -> !later.isEmpty(), Duration.ofSeconds(10));
        assertThat(later).extracting(Message::bodyAsString).containsExactly("later");
        assertThat(later.get(0).isRedelivered()).isFalse();
    }

    @Test
    void pythonPublishesDirectCompressedJavaConsumes() throws Exception {
        Connection c = connect();
        Exchange ex = Exchange.of(id + ".direct", ExchangeType.DIRECT);
        Queue q = Queue.of(id + ".q", ex, "rk");
        List<Message> got = new CopyOnWriteArrayList<>();
        List<Object> bodies = new CopyOnWriteArrayList<>();
        c.consumer(q).onMessage((body, m) -> {
            bodies.add(body);
            got.add(m);
            m.ack();
        }).consume();
        KombuPeer.run(30, "publish", "--url", URL, "--exchange", ex.name(), "--type", "direct", "--routing-key", "rk",
                "--bodies", KombuPeer.json(List.of(Map.of("a", 1), Map.of("__text__", "plain"))), "--compression", "zlib",
                "--headers", "{\"x-trace\": \"py\", \"attempt\": 2}", "--props", "{\"correlation_id\": \"c-9\", \"reply_to\": \"r\"}");
        drainUntil(c, () -> got.size() == 2, Duration.ofSeconds(10));
        assertThat(bodies).containsExactly(Map.of("a", 1), "plain");
        Message m = got.get(0);
        assertThat(m.headers()).containsEntry("x-trace", "py").containsEntry("attempt", 2);
        assertThat(m.correlationId()).isEqualTo("c-9");
        assertThat(m.replyTo()).isEqualTo("r");
        assertThat(m.deliveryInfo().exchange()).isEqualTo(ex.name());
        assertThat(m.deliveryInfo().routingKey()).isEqualTo("rk");
    }

    @Test
    void topicBothWays() throws Exception {
        Connection c = connect();
        Exchange ex = Exchange.of(id + ".topic", ExchangeType.TOPIC);
        Queue javaQ = Queue.of(id + ".java", ex, "order.*");
        List<Object> bodies = new CopyOnWriteArrayList<>();
        c.consumer(javaQ).onMessage((body, m) -> {
            bodies.add(body);
            m.ack();
        }).consume();
        // Python routes with its regex: "order.*" also matches "order.created.eu" there (§3), so only
        // keys on which both semantics agree are used.
        KombuPeer.run(30, "publish", "--url", URL, "--exchange", ex.name(), "--type", "topic", "--routing-key",
                "order.created", "--bodies", "[\"py-created\"]");
        KombuPeer.run(30, "publish", "--url", URL, "--exchange", ex.name(), "--type", "topic", "--routing-key",
                "invoice.paid", "--bodies", "[\"py-invoice\"]");
        drainUntil(c, () -> bodies.size() == 1, Duration.ofSeconds(10));
        c.drainEvents(Duration.ofMillis(300));
        assertThat(bodies).containsExactly("py-created");

        // Java → Python: a queue Python bound with "order.#" gets what Java publishes with AMQP routing.
        String pyQ = id + ".py";
        try (KombuPeer.Peer py = KombuPeer.start("consume", "--url", URL, "--exchange", ex.name(), "--type", "topic",
                "--routing-key", "order.#", "--queue", pyQ, "--count", "2", "--idle", "5")) {
            py.await("READY", 30);
            awaitBinding(c, ex.name(), pyQ);
            c.producer(ex).publish("j1", "order.created.eu");
            c.producer(ex).publish("j2", "order");
            c.producer(ex).publish("j3", "invoice.paid");
            List<Map<String, Object>> got = py.done(30);
            assertThat(got).extracting(m -> m.get("body")).containsExactly("j1", "j2");
        }
    }

    private static void awaitBinding(Connection c, String exchange, String queue) throws InterruptedException {
        // Python's consumer declares its binding before READY; this only guards against slow starts.
        for (int i = 0; i < 50; i++) {
            try {
                c.channel().declareQueue(Queue.of(queue), true);
                return;
            } catch (org.kombu4j.NotFoundException e) {
                Thread.sleep(100);
            }
        }
    }

    @Test
    void fanoutBothWays() throws Exception {
        Connection c = connect();
        Exchange ex = Exchange.of(id + ".fan", ExchangeType.FANOUT);
        Queue javaQ = Queue.of(id + ".java", ex, "");
        List<Object> bodies = new CopyOnWriteArrayList<>();
        c.consumer(javaQ).onMessage((body, m) -> {
            bodies.add(body);
            m.ack();
        }).consume();
        KombuPeer.run(30, "publish", "--url", URL, "--exchange", ex.name(), "--type", "fanout", "--bodies", "[\"no-key\"]");
        KombuPeer.run(30, "publish", "--url", URL, "--exchange", ex.name(), "--type", "fanout", "--routing-key", "some.key",
                "--bodies", "[\"with-key\"]");
        drainUntil(c, () -> bodies.size() == 2, Duration.ofSeconds(10));
        assertThat(bodies).containsExactly("no-key", "with-key");

        try (RedisConnection raw = RedisConnection.open(new RedisEndpoint("127.0.0.1", 6379, null, null, 13,
                Duration.ofSeconds(2), Duration.ofSeconds(5)), false, null);
                KombuPeer.Peer py = KombuPeer.start("consume", "--url", URL, "--exchange", ex.name(), "--type", "fanout",
                        "--queue", id + ".py", "--count", "1", "--idle", "8")) {
            long before = Resp.integer(raw.call(List.of("PUBSUB", "NUMPAT")));
            py.await("READY", 30);
            // Kombu subscribes lazily, on its first drain: wait until its pattern is live.
            for (int i = 0; i < 100 && Resp.integer(raw.call(List.of("PUBSUB", "NUMPAT"))) <= before; i++) {
                Thread.sleep(50);
            }
            c.producer(ex).publish("from-java"); // empty key: Kombu listens on /db.exchange only (§12.6)
            List<Map<String, Object>> got = py.done(30);
            assertThat(got).extracting(m -> m.get("body")).containsExactly("from-java");
        }
    }

    @Test
    void prioritiesKeepTheirOrderBothWays() throws Exception {
        Connection c = connect();
        Exchange ex = Exchange.of(id + ".prio", ExchangeType.DIRECT);
        Queue q = Queue.of(id + ".q", ex, "p");
        KombuPeer.run(30, "publish", "--url", URL, "--exchange", ex.name(), "--type", "direct", "--routing-key", "p",
                "--queue", q.name(), "--bodies", "[0, 9, 3, 6]", "--priorities", "[0, 9, 3, 6]");
        List<Object> bodies = new CopyOnWriteArrayList<>();
        c.consumer(q).prefetch(1).onMessage((body, m) -> {
            bodies.add(body);
            m.ack();
        }).consume();
        drainUntil(c, () -> bodies.size() == 4, Duration.ofSeconds(10));
        assertThat(bodies).containsExactly(0, 3, 6, 9);

        for (int p : List.of(0, 9, 3, 6)) {
            c.producer(ex).publish(p, PublishOptions.builder().routingKey("p").priority(p).build());
        }
        try (KombuPeer.Peer py = KombuPeer.start("consume", "--url", URL, "--exchange", ex.name(), "--type", "direct",
                "--routing-key", "p", "--queue", q.name(), "--count", "4", "--idle", "5", "--prefetch", "1")) {
            assertThat(py.done(30)).extracting(m -> m.get("body")).containsExactly(0, 3, 6, 9);
        }
    }

    @Test
    void javaAndPythonConsumersShareAQueueWithoutLossOrDuplicates() throws Exception {
        Connection c = connect();
        Exchange ex = Exchange.of(id + ".shared", ExchangeType.DIRECT);
        Queue q = Queue.of(id + ".q", ex, "s");
        c.channel().declareExchange(ex, false);
        c.channel().declareQueue(q, false);
        c.channel().bind(q.name(), q.bindings().get(0));
        int n = 300;
        List<Object> javaGot = Collections.synchronizedList(new ArrayList<>());
        c.consumer(q).prefetch(5).onMessage((body, m) -> {
            javaGot.add(body);
            m.ack();
        }).consume();
        try (KombuPeer.Peer py = KombuPeer.start("consume", "--url", URL, "--exchange", ex.name(), "--type", "direct",
                "--routing-key", "s", "--queue", q.name(), "--idle", "3", "--prefetch", "5")) {
            py.await("READY", 30);
            // The Java consumer drains on a thread of its own while the messages go out, as Python's does:
            // draining between publishes left it idle most of the time, and under load Python took all.
            java.util.concurrent.atomic.AtomicBoolean publishing = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.CompletableFuture<Void> javaSide = java.util.concurrent.CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while ((publishing.get() || py.process.isAlive()) && System.nanoTime() < deadline) {
                    c.drainEvents(Duration.ofMillis(100));
                }
            });
            Connection producer = connect();
            try {
                for (int i = 0; i < n; i++) {
                    producer.producer(ex).publish(i, "s");
                }
            } finally {
                publishing.set(false);
            }
            javaSide.get(30, java.util.concurrent.TimeUnit.SECONDS);
            List<Map<String, Object>> pyGot = py.done(30);
            drainUntil(c, () -> javaGot.size() + pyGot.size() >= n, Duration.ofSeconds(5));
            List<Object> all = new ArrayList<>(javaGot);
            pyGot.forEach(m -> all.add(m.get("body")));
            Set<Object> distinct = new HashSet<>(all);
            assertThat(all).as("no duplicates").hasSameSizeAs(distinct);
            assertThat(distinct).as("nothing lost").hasSize(n);
            assertThat(javaGot).as("java got a share").isNotEmpty();
            assertThat(pyGot).as("python got a share").isNotEmpty();
        }
    }
}
