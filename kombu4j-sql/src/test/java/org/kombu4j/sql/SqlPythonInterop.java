package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.kombu4j.Connection;
import org.kombu4j.DeliveryMode;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Message;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.python.PythonKombu;

/**
 * kombu4j and Python Kombu's SQLAlchemy transport on one database, each with the same URL string
 * ({@code sqla+DIALECT[+DRIVER]://...}): each side publishes, the other consumes, and bodies (json,
 * text, raw), headers, properties, delivery info and content type and encoding arrive intact. Also:
 * either side may create the tables first; rows Python consumed (left {@code visible=false}, never
 * deleted) are never redelivered by kombu4j; a waiting kombu4j consumer is woken by a Python
 * publish; order is kept both ways. One subclass per database; each has a database of its own.
 * Python's exchanges and bindings live in its process memory, so a Python producer declares the
 * queue it routes to in its own process, while kombu4j's go to the binding table.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SqlPythonInterop {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEXT = "plain text ü — 😀";
    private static final byte[] RAW = {0, 1, (byte) 0xff, (byte) 0x80, 'r', 'a', 'w', '\n'};

    /** Every database made for this class: the URL TestDatabases gave (for drop) → the sqla+ URL. */
    private final Map<String, String> databases = new LinkedHashMap<>();
    /** The class's database, as both sides spell it. */
    private String url;
    private String id;

    /** A new database of this kind; returns the URL {@link TestDatabases} gives for it. */
    protected abstract String createDatabase(String prefix);

    /** That URL as Kombu's SQLAlchemy transport takes it (and kombu4j too): {@code sqla+...}. */
    protected abstract String sqlaUrl(String testDatabaseUrl);

    /** The Python driver module this database needs (psycopg2, pymysql), or null. */
    protected abstract String pythonDriver();

    @BeforeAll
    void database() {
        url = newDatabase("k4j_pyinterop");
    }

    @AfterAll
    void dropDatabases() {
        databases.keySet().forEach(TestDatabases::drop);
    }

    @BeforeEach
    void requirePython() {
        String driver = pythonDriver();
        if (driver != null) {
            PythonKombu.requireModules("kombu", "sqlalchemy", driver);
        } else {
            PythonKombu.requireModules("kombu", "sqlalchemy");
        }
        // ./run-tests' second pass puts a newer Kombu on PYTHONPATH and names it: that one must be the one tested.
        PythonKombu.expectedVersion().ifPresent(v -> assertThat(PythonKombu.requireKombu()).as("Python Kombu").isEqualTo(v));
        id = "k4j_" + UUID.randomUUID().toString().substring(0, 8);
    }

    private String newDatabase(String prefix) {
        String plain = createDatabase(prefix);
        String sqla = sqlaUrl(plain);
        databases.put(plain, sqla);
        return sqla;
    }

    // ------------------------------------------------------------------ the Python side

    private static String python(String mode, String url, Map<String, Object> spec) throws Exception {
        return PythonKombu.run(PythonKombu.script(SqlPythonInterop.class, "/interop/sql_peer.py"), Duration.ofSeconds(90),
                mode, url, JSON.writeValueAsString(spec)).strip();
    }

    private static void pythonPublish(String url, Map<String, Object> spec) throws Exception {
        String out = python("publish", url, spec);
        assertThat(out).as("python publish").endsWith("{\"published\": " + ((List<?>) spec.get("messages")).size() + "}");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> pythonConsume(String url, Map<String, Object> spec) throws Exception {
        String out = python("consume", url, spec);
        return JSON.readValue(out.substring(out.lastIndexOf('\n') + 1), List.class);
    }

    private static Map<String, Object> spec(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> pyMessage(String kind, Object body, Map<String, Object> headers, Map<String, Object> props) {
        return spec("kind", kind, "body", body, "headers", headers, "props", props);
    }

    // ------------------------------------------------------------------ the kombu4j side

    /** A message kombu4j received: its decoded body and the message. */
    private record Got(Object body, Message message) {
    }

    /** Consumes until {@code n} messages came (then {@code grace} more, to catch extras) or {@code max} passed. */
    private static List<Got> kombu4jConsume(String url, Queue queue, int n, Duration max, Duration grace) {
        List<Got> got = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(url)) {
            c.consumer(queue).prefetch(10).onMessage((body, m) -> {
                got.add(new Got(body, m));
                m.ack();
            }).consume();
            drain(c, () -> got.size() >= n, max);
            drain(c, () -> false, grace);
        }
        return got;
    }

    private static void drain(Connection c, java.util.function.BooleanSupplier done, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(100));
        }
    }

    // ------------------------------------------------------------------ what travels

    private static Map<String, Object> document() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("list", List.of(1, "two", 3.25, List.of(), Map.of()));
        nested.put("deep", Map.of("deeper", Map.of("deepest", "ü")));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("text", "kombu ü 中文 😀");
        doc.put("int", 42);
        doc.put("negative", -7);
        doc.put("big", 1_099_511_627_776L);
        doc.put("float", 1.5);
        doc.put("true", true);
        doc.put("null", null);
        doc.put("nested", nested);
        return doc;
    }

    private static Map<String, Object> headers(String kind) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("kind", kind);
        h.put("x-string", "héllo 😀");
        h.put("x-int", 7);
        h.put("x-big", 4_294_967_296L);
        h.put("x-float", 0.25);
        h.put("x-bool", false);
        h.put("x-null", null);
        h.put("x-nested", Map.of("a", List.of(1, 2, Map.of("b", "c"))));
        return h;
    }

    // ------------------------------------------------------------------ bodies, headers, properties

    @Test
    void pythonPublishesJsonTextAndRawToAnExchangeKombu4jConsumes() throws Exception {
        String ex = id + "_ex";
        String q = id + "_q";
        Map<String, Object> props = spec("priority", 3, "correlation_id", "corr-py", "reply_to", "replies-py",
                "delivery_mode", 1, "expiration", 60, "app_id", "python");
        pythonPublish(url, spec("exchange", ex, "type", "direct", "routing_key", "rk", "queue", q, "messages", List.of(
                pyMessage("json", document(), headers("json"), props),
                pyMessage("text", TEXT, headers("text"), props),
                pyMessage("raw", Base64.getEncoder().encodeToString(RAW), headers("raw"), props))));

        List<Got> got = kombu4jConsume(url, Queue.of(q, Exchange.of(ex, ExchangeType.DIRECT), "rk"), 3,
                Duration.ofSeconds(20), Duration.ofMillis(300));
        assertThat(got).extracting(g -> g.message().headers().get("kind")).containsExactly("json", "text", "raw");
        assertThat(got.get(0).body()).isEqualTo(document());
        assertThat(got.get(1).body()).isEqualTo(TEXT);
        assertThat((byte[]) got.get(2).body()).isEqualTo(RAW);
        assertThat(got).extracting(g -> g.message().contentType())
                .containsExactly("application/json", "text/plain", "application/data");
        assertThat(got).extracting(g -> g.message().contentEncoding()).containsExactly("utf-8", "utf-8", "binary");
        for (Got g : got) {
            Message m = g.message();
            String kind = (String) m.headers().get("kind");
            assertThat(m.headers()).as(kind).isEqualTo(headers(kind));
            assertThat(m.priority()).as(kind).isEqualTo(3);
            assertThat(m.correlationId()).as(kind).isEqualTo("corr-py");
            assertThat(m.replyTo()).as(kind).isEqualTo("replies-py");
            assertThat(m.properties()).as(kind).containsEntry("delivery_mode", 1).containsEntry("expiration", "60000")
                    .containsEntry("app_id", "python");
            assertThat(m.deliveryInfo().exchange()).as(kind).isEqualTo(ex);
            assertThat(m.deliveryInfo().routingKey()).as(kind).isEqualTo("rk");
            assertThat(m.isRedelivered()).as(kind).isFalse();
        }
        assertThat(remainingRows(q, true)).as("acknowledged rows are deleted").isZero();
    }

    @Test
    @SuppressWarnings("unchecked")
    void kombu4jPublishesJsonTextAndRawToAnExchangePythonConsumes() throws Exception {
        Exchange ex = Exchange.of(id + "_ex", ExchangeType.DIRECT);
        Queue q = Queue.of(id + "_q", ex, "rk");
        try (Connection c = Connection.open(url)) {
            for (String kind : List.of("json", "text", "raw")) {
                PublishOptions.Builder o = PublishOptions.builder().routingKey("rk").declare(q).headers(headers(kind))
                        .priority(5).correlationId("corr-j").replyTo("replies-j").deliveryMode(DeliveryMode.TRANSIENT)
                        .expiration(Duration.ofSeconds(60)).property("app_id", "kombu4j");
                Object body = switch (kind) {
                    case "text" -> TEXT;
                    case "raw" -> RAW;
                    default -> document();
                };
                c.producer(ex).publish(body, o.serializer(kind).build());
            }
        }
        List<Map<String, Object>> got = pythonConsume(url, spec("exchange", ex.name(), "type", "direct", "routing_key", "rk",
                "queue", q.name(), "count", 3, "idle", 10));
        assertThat(got).extracting(m -> ((Map<String, Object>) m.get("headers")).get("kind")).containsExactly("json", "text", "raw");
        assertThat(got.get(0).get("body")).isEqualTo(document());
        assertThat(got.get(1).get("body")).isEqualTo(TEXT);
        assertThat(Base64.getDecoder().decode((String) ((Map<String, Object>) got.get(2).get("body")).get("__bytes__"))).isEqualTo(RAW);
        assertThat(got).extracting(m -> m.get("content_type")).containsExactly("application/json", "text/plain", "application/data");
        assertThat(got).extracting(m -> m.get("content_encoding")).containsExactly("utf-8", "utf-8", "binary");
        for (Map<String, Object> m : got) {
            String kind = (String) ((Map<String, Object>) m.get("headers")).get("kind");
            assertThat(m.get("headers")).as(kind).isEqualTo(headers(kind));
            assertThat((Map<String, Object>) m.get("properties")).as(kind).containsEntry("priority", 5)
                    .containsEntry("correlation_id", "corr-j").containsEntry("reply_to", "replies-j")
                    .containsEntry("delivery_mode", 1).containsEntry("expiration", "60000").containsEntry("app_id", "kombu4j");
            assertThat(m.get("delivery_info")).as(kind).isEqualTo(Map.of("exchange", ex.name(), "routing_key", "rk"));
        }
    }

    @Test
    void pythonPublishesToTheDefaultExchangeKombu4jConsumes() throws Exception {
        String q = id + "_q";
        pythonPublish(url, spec("exchange", "", "routing_key", q, "queue", q, "messages",
                List.of(pyMessage("json", Map.of("to", "default"), Map.of("h", "v"), Map.of()))));
        List<Got> got = kombu4jConsume(url, Queue.of(q), 1, Duration.ofSeconds(20), Duration.ofMillis(300));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).body()).isEqualTo(Map.of("to", "default"));
        Message m = got.get(0).message();
        assertThat(m.headers()).isEqualTo(Map.of("h", "v"));
        assertThat(m.deliveryInfo().exchange()).isEmpty();
        assertThat(m.deliveryInfo().routingKey()).isEqualTo(q);
        assertThat(m.properties()).containsEntry("delivery_mode", 2); // Kombu's default
        assertThat(m.priority()).isZero();
    }

    @Test
    void kombu4jPublishesToTheDefaultExchangePythonConsumes() throws Exception {
        String q = id + "_q";
        try (Connection c = Connection.open(url)) {
            c.producer().publish(Map.of("to", "default"), PublishOptions.builder().routingKey(q).declare(Queue.of(q))
                    .header("h", "v").build());
        }
        List<Map<String, Object>> got = pythonConsume(url, spec("queue", q, "count", 1, "idle", 10));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).get("body")).isEqualTo(Map.of("to", "default"));
        assertThat(got.get(0).get("headers")).isEqualTo(Map.of("h", "v"));
        assertThat(got.get(0).get("delivery_info")).isEqualTo(Map.of("exchange", "", "routing_key", q));
        assertThat(got.get(0).get("content_type")).isEqualTo("application/json");
        assertThat(got.get(0).get("content_encoding")).isEqualTo("utf-8");
        @SuppressWarnings("unchecked")
        Map<String, Object> props = (Map<String, Object>) got.get(0).get("properties");
        assertThat(props).containsEntry("delivery_mode", 2).containsEntry("priority", 0).containsKey("delivery_tag");
    }

    // ------------------------------------------------------------------ who creates the tables

    @Test
    void pythonCreatesTheTablesAndKombu4jWorksOnThem() throws Exception {
        String db = newDatabase("k4j_pyfirst");
        String q = id + "_q";
        pythonPublish(db, spec("queue", q, "routing_key", q, "messages", List.of(pyMessage("json", "from python", Map.of(), Map.of()))));
        assertThat(columns(db, "kombu_message")).as("Python's layout, before kombu4j connects")
                .containsExactlyInAnyOrder("id", "visible", "timestamp", "payload", "version", "queue_id");

        List<Got> got = kombu4jConsume(db, Queue.of(q), 1, Duration.ofSeconds(20), Duration.ofMillis(300));
        assertThat(got).extracting(Got::body).containsExactly("from python");
        assertThat(columns(db, "kombu_message")).contains("lease_until", "priority", "delivery_count");

        try (Connection c = Connection.open(db)) {
            c.producer().publish("from kombu4j", PublishOptions.builder().routingKey(q).declare(Queue.of(q)).build());
        }
        // Python on the tables kombu4j extended: its create_all finds them, its inserts fill our columns' defaults.
        assertThat(pythonConsume(db, spec("queue", q, "count", 1, "idle", 10))).extracting(m -> m.get("body"))
                .containsExactly("from kombu4j");
        pythonPublish(db, spec("queue", q, "routing_key", q, "messages", List.of(pyMessage("json", "again", Map.of(), Map.of()))));
        assertThat(kombu4jConsume(db, Queue.of(q), 1, Duration.ofSeconds(20), Duration.ofMillis(300)))
                .extracting(Got::body).containsExactly("again");
    }

    @Test
    void kombu4jCreatesTheTablesAndPythonWorksOnThem() throws Exception {
        String db = newDatabase("k4j_k4jfirst");
        String q = id + "_q";
        try (Connection c = Connection.open(db)) {
            c.producer().publish("from kombu4j", PublishOptions.builder().routingKey(q).declare(Queue.of(q)).build());
        }
        assertThat(columns(db, "kombu_message")).contains("id", "visible", "timestamp", "payload", "version", "queue_id",
                "lease_until", "priority", "delivery_count");
        assertThat(pythonConsume(db, spec("queue", q, "count", 1, "idle", 10))).extracting(m -> m.get("body"))
                .containsExactly("from kombu4j");
        String q2 = id + "_q2"; // a queue Python creates on kombu4j's tables
        pythonPublish(db, spec("queue", q2, "routing_key", q2, "messages", List.of(pyMessage("json", "from python", Map.of(), Map.of()))));
        assertThat(kombu4jConsume(db, Queue.of(q2), 1, Duration.ofSeconds(20), Duration.ofMillis(300)))
                .extracting(Got::body).containsExactly("from python");
    }

    // ------------------------------------------------------------------ Python's consumed rows

    @Test
    void rowsPythonConsumedAreNeverRedeliveredByKombu4j() throws Exception {
        String q = id + "_q";
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            messages.add(pyMessage("json", i, Map.of(), Map.of()));
        }
        pythonPublish(url, spec("queue", q, "routing_key", q, "messages", messages));
        assertThat(pythonConsume(url, spec("queue", q, "count", 3, "idle", 10))).extracting(m -> m.get("body"))
                .containsExactly(0, 1, 2);
        // What makes this test able to fail: Kombu left its consumed rows in the table, invisible.
        assertThat(remainingRows(q, false)).as("rows Python consumed (visible = false)").isEqualTo(3);

        // A short lease: kombu4j sweeps expired leases every half lease; three lease periods pass.
        String shortLease = url + "?visibility_timeout=1";
        Queue queue = Queue.of(q);
        List<Got> got = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(shortLease)) {
            c.consumer(queue).onMessage((body, m) -> {
                got.add(new Got(body, m));
                m.ack();
            }).consume();
            drain(c, () -> false, Duration.ofMillis(3500));
            assertThat(got).as("Python's consumed rows, redelivered by kombu4j").isEmpty();
            // The consumer was live all along: a new message reaches it.
            try (Connection p = Connection.open(url)) {
                p.producer().publish("fresh", PublishOptions.routingKey(q));
            }
            drain(c, () -> !got.isEmpty(), Duration.ofSeconds(15));
            drain(c, () -> false, Duration.ofMillis(1500));
        }
        assertThat(got).extracting(Got::body).containsExactly("fresh");
        assertThat(remainingRows(q, false)).as("Python's rows stay as Python left them").isEqualTo(3);
    }

    // ------------------------------------------------------------------ wake-up and order

    @Test
    void aWaitingKombu4jConsumerIsWokenByAPythonPublish() throws Exception {
        String q = id + "_q";
        List<Long> receivedAt = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(url)) {
            c.consumer(Queue.of(q)).onMessage((body, m) -> {
                receivedAt.add(System.nanoTime());
                m.ack();
            }).consume();
            AtomicBoolean stop = new AtomicBoolean();
            Thread drainer = new Thread(() -> {
                while (!stop.get()) {
                    c.drainEvents(Duration.ofMillis(200));
                }
            }, "interop-drain");
            drainer.start();
            try {
                Thread.sleep(1500); // the consumer goes idle: its back-off grows, or it waits for a NOTIFY
                pythonPublish(url, spec("queue", q, "routing_key", q, "messages",
                        List.of(pyMessage("json", "wake up", Map.of(), Map.of()))));
                long published = System.nanoTime(); // Python committed before it exited
                long deadline = published + Duration.ofSeconds(10).toNanos();
                while (receivedAt.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(receivedAt).as("received within 10 s of Python's publish").hasSize(1);
                System.out.printf("%s: woken %d ms after Python's process ended%n", getClass().getSimpleName(),
                        Duration.ofNanos(receivedAt.get(0) - published).toMillis());
            } finally {
                stop.set(true);
                drainer.join(5000);
            }
        }
    }

    @Test
    void pythonsMessagesKeepTheirOrderInKombu4j() throws Exception {
        String ex = id + "_ex";
        String q = id + "_q";
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            messages.add(pyMessage("json", i, Map.of(), Map.of()));
        }
        pythonPublish(url, spec("exchange", ex, "type", "direct", "routing_key", "rk", "queue", q, "messages", messages));
        List<Got> got = kombu4jConsume(url, Queue.of(q, Exchange.of(ex, ExchangeType.DIRECT), "rk"), 20,
                Duration.ofSeconds(20), Duration.ofMillis(300));
        assertThat(got).extracting(Got::body).containsExactlyElementsOf(range(20));
    }

    @Test
    void kombu4jsMessagesKeepTheirOrderInPython() throws Exception {
        Exchange ex = Exchange.of(id + "_ex", ExchangeType.DIRECT);
        Queue q = Queue.of(id + "_q", ex, "rk");
        try (Connection c = Connection.open(url)) {
            for (int i = 0; i < 20; i++) {
                c.producer(ex).publish(i, PublishOptions.builder().routingKey("rk").declare(q).build());
            }
        }
        List<Map<String, Object>> got = pythonConsume(url, spec("exchange", ex.name(), "type", "direct", "routing_key", "rk",
                "queue", q.name(), "count", 20, "idle", 10));
        assertThat(got).extracting(m -> m.get("body")).containsExactlyElementsOf(range(20));
    }

    // ------------------------------------------------------------------ one queue, two consumers

    /**
     * Python's claim ({@code SELECT ... FOR UPDATE} through the timestamp index, no SKIP LOCKED) deadlocks on MariaDB
     * with kombu4j's DELETE of an acknowledged row (primary key first, then that index): InnoDB rolls Python's statement
     * back and Kombu raises. Python's peer retries as a reconnecting worker would; nothing may be lost or doubled.
     */
    @Test
    @SuppressWarnings("unchecked")
    void kombu4jAndPythonConsumersShareAQueueWithoutLossOrDuplicates() throws Exception {
        String q = id + "_q";
        int n = 60;
        List<Object> javaGot = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(url);
                org.kombu4j.testkit.python.PythonProcess py = PythonKombu.startStreaming(
                        PythonKombu.script(SqlPythonInterop.class, "/interop/sql_peer.py"), "consume", url,
                        JSON.writeValueAsString(spec("queue", q, "count", n, "idle", 4, "retry_deadlocks", true)))) {
            c.consumer(Queue.of(q)).prefetch(1).onMessage((body, m) -> {
                javaGot.add(body);
                sleepQuietly(20); // a handler that takes a moment, so that Python gets its share
                m.ack();
            }).consume();
            String ready = py.nextLine(Duration.ofSeconds(60));
            assertThat(ready).as("Python consumer started; stderr: %s", py.stderr()).isEqualTo("READY");
            AtomicBoolean stop = new AtomicBoolean();
            Thread drainer = new Thread(() -> {
                while (!stop.get()) {
                    c.drainEvents(Duration.ofMillis(100));
                }
            }, "interop-drain");
            drainer.start();
            try {
                try (Connection p = Connection.open(url)) {
                    for (int i = 0; i < n; i++) {
                        p.producer().publish(i, PublishOptions.routingKey(q));
                    }
                }
                py.awaitSuccess(Duration.ofSeconds(90), "Python consumer");
                String last = null;
                for (String l; (l = py.nextLine(Duration.ofSeconds(5))) != null; ) {
                    last = l;
                }
                List<Map<String, Object>> pyGot = JSON.readValue(last, List.class);
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (javaGot.size() + pyGot.size() < n && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                Thread.sleep(300); // anything extra shows now
                System.out.printf("%s: shared queue, kombu4j took %d, Python %d; Python's stderr: %s%n",
                        getClass().getSimpleName(), javaGot.size(), pyGot.size(), py.stderr().strip());
                List<Object> all = new ArrayList<>(javaGot);
                pyGot.forEach(m -> all.add(m.get("body")));
                assertThat(all).as("kombu4j got %s, Python got %s", javaGot.size(), pyGot.size())
                        .containsExactlyInAnyOrderElementsOf(range(n));
                assertThat(pyGot).as("Python's share").isNotEmpty();
                assertThat(javaGot).as("kombu4j's share").isNotEmpty();
            } finally {
                stop.set(true);
                drainer.join(5000);
            }
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<Object> range(int n) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    // ------------------------------------------------------------------ looking at the tables

    /** JDBC on a database of this class, from the URL both sides use. */
    private java.sql.Connection jdbc(String sqlaUrl) throws SQLException {
        String db = sqlaUrl.substring(sqlaUrl.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        if (sqlaUrl.contains("postgresql")) {
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + db, "postgres", null);
        }
        if (sqlaUrl.contains("mysql")) {
            return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/" + db, "root", null);
        }
        return DriverManager.getConnection("jdbc:sqlite:" + sqlaUrl.substring(sqlaUrl.indexOf(":///") + 3).replaceAll("\\?.*", ""));
    }

    private List<String> columns(String sqlaUrl, String table) throws SQLException {
        List<String> cols = new ArrayList<>();
        try (java.sql.Connection c = jdbc(sqlaUrl); ResultSet rs = c.getMetaData().getColumns(c.getCatalog(), null, table, null)) {
            while (rs.next()) {
                cols.add(rs.getString("COLUMN_NAME").toLowerCase(java.util.Locale.ROOT));
            }
        }
        return cols;
    }

    /** Rows of queue {@code queue} in the class's database with {@code visible} as given. */
    private long remainingRows(String queue, boolean visible) throws SQLException {
        try (java.sql.Connection c = jdbc(url); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id "
                        + "WHERE q.name = '" + queue + "' AND m.visible = " + (visible ? "TRUE" : "FALSE"))) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
