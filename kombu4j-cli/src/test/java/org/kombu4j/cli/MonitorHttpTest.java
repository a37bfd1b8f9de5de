package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Binding;
import org.kombu4j.Exchange;
import org.kombu4j.Message;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.testkit.env.TestEnvironment;
import org.kombu4j.testkit.python.PythonKombu;
import org.kombu4j.transport.DeadLetters;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.TransportMessage;

/**
 * {@code kombu4j monitor} over HTTP against each real broker: messages published show in {@code /api/queues}
 * and {@code /metrics}; errors (unknown path, port in use, non-loopback without credential), the credential
 * check, a broker going down and coming back, and that no response carries the broker's password.
 */
class MonitorHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** One sample line of the Prometheus text format: name, optional labels, value. */
    private static final Pattern SAMPLE = Pattern.compile(
            "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"(\\\\.|[^\"\\\\])*\")*})?"
                    + " (-?[0-9.]+([eE][-+]?[0-9]+)?|NaN|[+-]Inf)");

    @TempDir Path tmp;

    @Test
    void memoryShowsThisProcessesQueues() throws Exception {
        String url = "memory://monitor-" + UUID.randomUUID().toString().substring(0, 8);
        String q = CliRunner.unique("mon.mem");
        try (Connection conn = Connection.open(url); MonitorRun m = MonitorRun.start(url)) {
            publish(conn, q, 4);
            JsonNode row = awaitQueue(m, q, r -> r.path("ready").asLong() == 4);
            assertThat(row.path("name").asText()).isEqualTo(q);
            assertMetrics(m, q, 4);
        }
    }

    @Test
    void sqliteShowsReadyAndLeased() throws Exception {
        String url = "sqlite:///" + tmp.resolve("monitor.db").toAbsolutePath();
        String q = CliRunner.unique("mon.sqlite");
        try (Connection conn = Connection.open(url); MonitorRun m = MonitorRun.start(url)) {
            publish(conn, q, 3);
            awaitQueue(m, q, r -> r.path("ready").asLong() == 3 && r.path("unacked").asLong(-1) == 0);
            Held taken = take(conn, q);
            // The holder is a kombu4j consumer: counted (its record is written within a second); Python Kombu's would
            // not be, hence "at least".
            JsonNode row = awaitQueue(m, q, r -> r.path("ready").asLong() == 2 && r.path("unacked").asLong() == 1
                    && r.path("consumers").asInt(-1) == 1);
            assertThat(row.path("consumers_lower_bound").asBoolean()).isTrue();
            taken.ack(conn);
            awaitQueue(m, q, r -> r.path("ready").asLong() == 2 && r.path("unacked").asLong() == 0);
            assertMetrics(m, q, 2);
        }
    }

    @Test
    void postgresShowsReadyAndLeased() throws Exception {
        TestEnvironment.requireListening("PostgreSQL", "127.0.0.1", 5432);
        String db = "kombu4j_monitor_" + UUID.randomUUID().toString().substring(0, 8);
        pgAdmin("CREATE DATABASE " + db);
        String url = "postgresql://postgres@127.0.0.1:5432/" + db;
        String q = CliRunner.unique("mon.pg");
        try (Connection conn = Connection.open(url); MonitorRun m = MonitorRun.start(url)) {
            publish(conn, q, 5);
            awaitQueue(m, q, r -> r.path("ready").asLong() == 5);
            Held taken = take(conn, q);
            awaitQueue(m, q, r -> r.path("ready").asLong() == 4 && r.path("unacked").asLong() == 1);
            taken.ack(conn);
            assertMetrics(m, q, 4);
        } finally {
            pgAdmin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
    }

    @Test
    void redisShowsReadyUnackedDelayedAndHidesThePassword() throws Exception {
        String password = "s3cret-" + UUID.randomUUID().toString().substring(0, 6);
        PrivateRedis redis = new PrivateRedis("--requirepass", password);
        try {
            String url = "redis://:" + password + "@127.0.0.1:" + redis.port() + "/0";
            String q = CliRunner.unique("mon.redis");
            try (Connection conn = Connection.open(url); MonitorRun m = MonitorRun.start(url)) {
                assertThat(m.out()).doesNotContain(password).contains("redis://");
                publish(conn, q, 3);
                awaitQueue(m, q, r -> r.path("ready").asLong() == 3 && r.path("unacked").asLong(-1) == 0);
                Held taken = take(conn, q);
                JsonNode row = awaitQueue(m, q, r -> r.path("ready").asLong() == 2 && r.path("unacked").asLong() == 1);
                assertThat(row.path("oldest_unacked_age_s").asDouble(-1)).isBetween(0.0, 60.0);
                conn.producer().publish(Map.of("later", true), PublishOptions.builder().routingKey(q).countdown(Duration.ofMinutes(10)).build());
                awaitQueue(m, q, r -> r.path("delayed").asLong() == 1);
                taken.ack(conn);
                awaitQueue(m, q, r -> r.path("unacked").asLong(-1) == 0);
                assertMetrics(m, q, 2);

                // Down: the page's stream and /metrics say so, the server stays up; back: it recovers.
                redis.kill();
                JsonNode down = awaitStatus(m, s -> !s.path("up").asBoolean(true));
                assertThat(down.path("error").asText()).isNotBlank();
                assertThat(m.get("/metrics").body()).contains("kombu4j_monitor_broker_up 0");
                for (String path : new String[] {"/", "/api/status", "/api/queues", "/api/history", "/metrics"}) {
                    assertThat(m.get(path).body()).as(path).doesNotContain(password);
                }
                redis.start();
                awaitStatus(m, s -> s.path("up").asBoolean(false));
                // The killed server saved nothing: what is published now is all there is.
                try (Connection again = Connection.open(url)) {
                    publish(again, q, 2);
                }
                awaitQueue(m, q, r -> r.path("ready").asLong() == 2);
                for (String path : new String[] {"/", "/api/status", "/api/queues", "/api/history", "/metrics"}) {
                    assertThat(m.get(path).body()).as(path).doesNotContain(password);
                }
            }
        } finally {
            redis.kill();
        }
    }

    @Test
    void rabbitShowsReadyUnackedConsumersAndRates() throws Exception {
        String url = LocalRabbit.url();
        LocalRabbit.requireManagement();
        String q = CliRunner.unique("mon.rabbit");
        try (Connection conn = Connection.open(url); MonitorRun m = MonitorRun.start(url)) {
            publish(conn, q, 3);
            JsonNode row = awaitQueue(m, q, r -> r.path("ready").asLong() == 3);
            assertThat(row.path("consumers").asInt(-1)).isZero();
            assertThat(row.path("publish_rate").isNumber()).isTrue();
            assertMetrics(m, q, 3);
            for (String path : new String[] {"/", "/api/status", "/api/queues", "/metrics"}) {
                assertThat(m.get(path).body()).as(path).doesNotContain("guest:guest");
            }
            Held taken = take(conn, q);
            // The management API's statistics lag by up to its collection interval (5 s by default).
            awaitQueue(m, q, r -> r.path("unacked").asLong() == 1, Duration.ofSeconds(20));
            taken.ack(conn);
        } finally {
            LocalRabbit.deleteQueuesStartingWith("mon.rabbit");
        }
    }

    // ---------------------------------------------------------------- rates and consumers (kombu4j clients' counts)

    @Test
    void redisRatesAndConsumersFromKombu4jClients() throws Exception {
        PrivateRedis redis = new PrivateRedis();
        try {
            ratesAndConsumers("redis://127.0.0.1:" + redis.port() + "/0", CliRunner.unique("mon.rate.redis"));
        } finally {
            redis.kill();
        }
    }

    @Test
    void sqliteRatesConsumersAndOldestUnacked() throws Exception {
        String url = "sqlite:///" + tmp.resolve("rates.db").toAbsolutePath();
        String q = CliRunner.unique("mon.rate.sqlite");
        ratesAndConsumers(url, q);
        oldestUnackedAge(url, q);
    }

    @Test
    void postgresRatesConsumersAndOldestUnacked() throws Exception {
        TestEnvironment.requireListening("PostgreSQL", "127.0.0.1", 5432);
        String db = "k4j_monitor_" + UUID.randomUUID().toString().substring(0, 8);
        pgAdmin("CREATE DATABASE " + db);
        try {
            String url = "postgresql://postgres@127.0.0.1:5432/" + db;
            String q = CliRunner.unique("mon.rate.pg");
            ratesAndConsumers(url, q);
            oldestUnackedAge(url, q);
        } finally {
            pgAdmin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
    }

    /**
     * A kombu4j publisher (about 100 messages a second) and a consumer on another connection: the monitor shows
     * both rates above 0 from the clients' counts and one consumer; once both stop (the consumer's connection
     * closed), no consumer and both rates 0.
     */
    private static void ratesAndConsumers(String url, String q) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean run = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong got = new java.util.concurrent.atomic.AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        try (Connection pub = Connection.open(url); MonitorRun m = MonitorRun.start(url)) {
            publish(pub, q, 1); // declared before the consumer starts
            Connection sub = Connection.open(url);
            Consumer consumer = sub.consumer(Queue.of(q)).prefetch(10).onMessage((body, msg) -> {
                msg.ack();
                got.incrementAndGet();
            }).consume();
            Thread consuming = new Thread(() -> {
                try {
                    while (run.get()) {
                        sub.drainEvents(Duration.ofMillis(100));
                    }
                } catch (RuntimeException e) {
                    failed.set(e);
                }
            });
            Thread publishing = new Thread(() -> {
                try {
                    while (run.get()) {
                        publish(pub, q, 1);
                        Thread.sleep(10);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failed.set(e);
                }
            });
            consuming.start();
            publishing.start();
            try {
                JsonNode busy = awaitQueue(m, q, r -> r.path("publish_rate").asDouble() > 10 && r.path("deliver_rate").asDouble() > 10
                        && r.path("consumers").asInt(-1) == 1, Duration.ofSeconds(20));
                assertThat(busy.path("consumers_lower_bound").asBoolean()).isTrue();
                assertThat(busy.path("rates_source").asText()).isIn("clients", "clients_and_depth");
                assertThat(got.get()).isPositive();
            } finally {
                run.set(false);
                publishing.join(5000);
                consuming.join(5000);
                consumer.close();
                sub.close();
            }
            assertThat(failed.get()).isNull();
            JsonNode idle = awaitQueue(m, q, r -> r.path("consumers").asInt(-1) == 0 && r.path("publish_rate").asDouble(-1) == 0
                    && r.path("deliver_rate").asDouble(-1) == 0, Duration.ofSeconds(20));
            assertThat(idle.path("rates_source").asText()).isEqualTo("clients");
            assertThat(m.get("/metrics").body()).contains("kombu4j_queue_publish_rate{queue=\"" + q + "\"} 0\n")
                    .contains("kombu4j_queue_consumers{queue=\"" + q + "\"} 0\n");
        }
    }

    /** SQL: a message held unacknowledged shows an oldest-unacked age that grows; acknowledged, none. */
    private static void oldestUnackedAge(String url, String q) throws Exception {
        try (Connection conn = Connection.open(url); MonitorRun m = MonitorRun.start(url)) {
            publish(conn, q, 1);
            Held taken = take(conn, q);
            JsonNode held = awaitQueue(m, q, r -> r.path("unacked").asLong() == 1 && r.path("oldest_unacked_age_s").asDouble(-1) >= 1.0);
            assertThat(held.path("oldest_unacked_age_s").asDouble()).isLessThan(60.0);
            taken.ack(conn);
            awaitQueue(m, q, r -> r.path("unacked").asLong(-1) == 0 && r.path("oldest_unacked_age_s").isNull());
        }
    }

    @Test
    void unknownPathIs404AndWritesAre405() throws Exception {
        String url = "memory://monitor-" + UUID.randomUUID().toString().substring(0, 8);
        try (MonitorRun m = MonitorRun.start(url)) {
            HttpResponse<String> r = m.get("/no/such/page");
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).contains("404").contains("/no/such/page");
            HttpResponse<String> post = MonitorRun.HTTP.send(java.net.http.HttpRequest.newBuilder(m.uri("/api/queues"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            HttpResponse<String> page = m.get("/");
            assertThat(page.statusCode()).isEqualTo(200);
            // A page elsewhere that points its own host name at 127.0.0.1 (DNS rebinding) learns nothing.
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", m.port)) {
                s.getOutputStream().write(("GET /api/queues HTTP/1.1\r\nHost: rebind.example:" + m.port
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 403").doesNotContain("\"name\"");
            }
            assertThat(m.get("/api/queues", "X-Check", "1").statusCode()).isEqualTo(200);
            // Every asset is inline: no script, style or image from elsewhere.
            assertThat(page.body()).contains("EventSource").doesNotContain("src=\"http").doesNotContain("href=\"http");
        }
    }

    @Test
    void purgeOnlyWithAllowActionsAndTheNameRepeated() throws Exception {
        String url = "memory://monitor-" + UUID.randomUUID().toString().substring(0, 8);
        String q = CliRunner.unique("mon.purge");
        try (Connection conn = Connection.open(url)) {
            publish(conn, q, 3);
            try (MonitorRun m = MonitorRun.start(url)) {
                assertThat(post(m, "/api/purge", "queue=" + q + "&confirm=" + q, true).statusCode()).isEqualTo(403);
                awaitQueue(m, q, r -> r.path("ready").asLong() == 3);
            }
            try (MonitorRun m = MonitorRun.start(url, "--allow-actions")) {
                assertThat(post(m, "/api/purge", "queue=" + q + "&confirm=" + q, false).statusCode()).as("no action header").isEqualTo(403);
                assertThat(post(m, "/api/purge", "queue=" + q + "&confirm=other", true).statusCode()).as("not confirmed").isEqualTo(400);
                awaitQueue(m, q, r -> r.path("ready").asLong() == 3);
                HttpResponse<String> ok = post(m, "/api/purge", "queue=" + q + "&confirm=" + q, true);
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(JSON.readTree(ok.body()).path("purged").asLong()).isEqualTo(3);
                awaitQueue(m, q, r -> r.path("ready").asLong() == 0);
            }
        }
    }

    private static HttpResponse<String> post(MonitorRun m, String path, String form, boolean actionHeader) throws Exception {
        return post(m, path, form, actionHeader ? "purge" : null);
    }

    private static HttpResponse<String> post(MonitorRun m, String path, String form, @Nullable String action) throws Exception {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(m.uri(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(form));
        if (action != null) {
            b.header("X-Kombu4j-Action", action);
        }
        return MonitorRun.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---------------------------------------------------------------- dead letters

    /**
     * Python Kombu publishes to a queue whose dead letters go (through the default exchange) to its DLQ; a kombu4j
     * consumer rejects one: the queue's row counts 1 dead letter in that DLQ; the requeue action is refused without
     * --allow-actions (nothing moves) and with it moves the message back, carrying its x-death.
     */
    @Test
    void redisDeadLettersOfPythonsMessagesAndTheirRequeue() throws Exception {
        PythonKombu.requireModules("kombu", "redis");
        PrivateRedis redis = new PrivateRedis();
        try {
            String url = "redis://127.0.0.1:" + redis.port() + "/0";
            String q = CliRunner.unique("mon.dl.redis");
            String dlq = q + ".dlq";
            try (Connection conn = Connection.open(url)) {
                conn.defaultChannel().declareQueue(Queue.of(dlq), false);
                Queue queue = Queue.named(q).deadLetter("", dlq).build();
                conn.defaultChannel().declareQueue(queue, false);
                PythonPeer.run("publish", url, Map.of("messages", List.of(
                        Map.of("exchange", "", "routing_key", q, "body", Map.of("n", 0)),
                        Map.of("exchange", "", "routing_key", q, "body", Map.of("n", 1)))));
                deadLetterOneAndRequeue(conn, url, queue, dlq);

                // Through named exchanges: a direct one's binding is read; a fanout one is pub/sub on Redis (unknown).
                Exchange direct = Exchange.direct(q + ".dlx");
                Exchange fanout = Exchange.fanout(q + ".fan");
                conn.defaultChannel().declareExchange(direct, false);
                conn.defaultChannel().declareExchange(fanout, false);
                conn.defaultChannel().declareQueue(Queue.of(q + ".dlq2"), false);
                conn.defaultChannel().bind(q + ".dlq2", Binding.of(direct, "dead"));
                conn.defaultChannel().bind(q + ".dlq2", Binding.of(fanout, ""));
                conn.defaultChannel().declareQueue(Queue.named(q + ".b").deadLetter(direct.name(), "dead").build(), false);
                conn.defaultChannel().declareQueue(Queue.named(q + ".c").deadLetter(fanout.name(), "dead").build(), false);
                publish(conn, q + ".dlq2", 3);
                try (MonitorRun m = MonitorRun.start(url)) {
                    JsonNode b = awaitQueue(m, q + ".b", r -> r.path("dead_letters").asLong(-1) == 3);
                    assertThat(b.path("dead_letter_queues").toString()).isEqualTo(JSON.writeValueAsString(List.of(q + ".dlq2")));
                    assertThat(awaitQueue(m, q + ".c", r -> true).path("dead_letters").isNull()).isTrue();
                }
            }
        } finally {
            redis.kill();
        }
    }

    /** SQLite, the dead letters routed by a named direct exchange's binding. */
    @Test
    void sqliteDeadLettersThroughANamedExchangeAndTheirRequeue() throws Exception {
        String url = "sqlite:///" + tmp.resolve("monitor-dl.db").toAbsolutePath();
        String q = CliRunner.unique("mon.dl.sqlite");
        String dlq = q + ".dlq";
        try (Connection conn = Connection.open(url)) {
            Exchange dlx = Exchange.direct(q + ".dlx");
            conn.defaultChannel().declareExchange(dlx, false);
            conn.defaultChannel().declareQueue(Queue.of(dlq), false);
            conn.defaultChannel().bind(dlq, Binding.of(dlx, "dead"));
            Queue queue = Queue.named(q).deadLetter(dlx.name(), "dead").build();
            publish(conn, queue, 2);
            deadLetterOneAndRequeue(conn, url, queue, dlq);
        }
    }

    /** PostgreSQL, the dead letters routed by a named fanout exchange (every bound queue). */
    @Test
    void postgresDeadLettersThroughAFanoutExchangeAndTheirRequeue() throws Exception {
        TestEnvironment.requireListening("PostgreSQL", "127.0.0.1", 5432);
        String db = "kombu4j_monitor_" + UUID.randomUUID().toString().substring(0, 8);
        pgAdmin("CREATE DATABASE " + db);
        String url = "postgresql://postgres@127.0.0.1:5432/" + db;
        String q = CliRunner.unique("mon.dl.pg");
        String dlq = q + ".dlq";
        try (Connection conn = Connection.open(url)) {
            Exchange dlx = Exchange.fanout(q + ".dlx");
            conn.defaultChannel().declareExchange(dlx, false);
            conn.defaultChannel().declareQueue(Queue.of(dlq), false);
            conn.defaultChannel().bind(dlq, Binding.of(dlx, ""));
            Queue queue = Queue.named(q).deadLetter(dlx.name(), "any").build();
            publish(conn, queue, 2);
            deadLetterOneAndRequeue(conn, url, queue, dlq);
        } finally {
            pgAdmin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
    }

    /** RabbitMQ's own dead-lettering; the target from the management API's queue arguments. */
    @Test
    void rabbitDeadLettersAndTheirRequeue() throws Exception {
        String url = LocalRabbit.url();
        LocalRabbit.requireManagement();
        String q = CliRunner.unique("mon.dl.rabbit");
        String dlq = q + ".dlq";
        try (Connection conn = Connection.open(url)) {
            conn.defaultChannel().declareQueue(Queue.of(dlq), false);
            Queue queue = Queue.named(q).deadLetter("", dlq).build();
            publish(conn, queue, 2);
            deadLetterOneAndRequeue(conn, url, queue, dlq);

            // A named topic exchange: its bindings, read from the management API, say where dead letters go.
            Exchange topic = Exchange.topic(q + ".dlx");
            conn.defaultChannel().declareExchange(topic, false);
            conn.defaultChannel().declareQueue(Queue.of(q + ".dlq2"), false);
            conn.defaultChannel().bind(q + ".dlq2", Binding.of(topic, "dead.#"));
            conn.defaultChannel().declareQueue(Queue.named(q + ".b").deadLetter(topic.name(), "dead.b").build(), false);
            publish(conn, q + ".dlq2", 3);
            try (MonitorRun m = MonitorRun.start(url)) {
                JsonNode b = awaitQueue(m, q + ".b", r -> r.path("dead_letters").asLong(-1) == 3);
                assertThat(b.path("dead_letter_queues").toString()).isEqualTo(JSON.writeValueAsString(List.of(q + ".dlq2")));
            } finally {
                conn.defaultChannel().deleteExchange(topic.name());
            }
        } finally {
            LocalRabbit.deleteQueuesStartingWith("mon.dl.rabbit");
        }
    }

    /** {@code q} holds 2 messages and dead-letters to {@code dlq} (empty). */
    private static void deadLetterOneAndRequeue(Connection conn, String url, Queue queue, String dlq) throws Exception {
        String q = queue.name();
        Held taken = take(conn, queue);
        taken.message().reject(false);
        conn.drainEvents(Duration.ofMillis(200));
        taken.consumer().close();
        try (MonitorRun m = MonitorRun.start(url)) {
            JsonNode row = awaitQueue(m, q, r -> r.path("ready").asLong() == 1 && r.path("dead_letters").asLong(-1) == 1);
            assertThat(row.path("dead_letter_queues").toString()).isEqualTo(JSON.writeValueAsString(List.of(dlq)));
            assertThat(awaitQueue(m, dlq, r -> r.path("ready").asLong() == 1).path("dead_letters").isNull())
                    .as("the DLQ itself dead-letters nowhere").isTrue();
            assertThat(m.get("/metrics").body()).contains("kombu4j_queue_dead_letters{queue=\"" + q + "\"} 1\n");
            // Read-only: refused, and the broker's data is unchanged.
            HttpResponse<String> refused = post(m, "/api/requeue-dead-letters", "queue=" + dlq + "&confirm=" + dlq, "requeue");
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains("--allow-actions");
            assertThat(ready(conn, q, dlq)).isEqualTo(Map.of(q, 1L, dlq, 1L));
        }
        try (MonitorRun m = MonitorRun.start(url, "--allow-actions")) {
            String form = "queue=" + dlq + "&confirm=" + dlq;
            assertThat(post(m, "/api/requeue-dead-letters", form, (String) null).statusCode()).as("no header").isEqualTo(403);
            assertThat(post(m, "/api/requeue-dead-letters", form, "purge").statusCode()).as("another action's header").isEqualTo(403);
            assertThat(post(m, "/api/requeue-dead-letters", "queue=" + dlq + "&confirm=" + q, "requeue").statusCode())
                    .as("not confirmed").isEqualTo(400);
            assertThat(ready(conn, q, dlq)).isEqualTo(Map.of(q, 1L, dlq, 1L));
            HttpResponse<String> ok = post(m, "/api/requeue-dead-letters", form, "requeue");
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            JsonNode done = JSON.readTree(ok.body());
            assertThat(done.path("moved").asLong()).isEqualTo(1);
            assertThat(done.path("left").asLong()).isZero();
            awaitQueue(m, q, r -> r.path("ready").asLong() == 2 && r.path("dead_letters").asLong(-1) == 0);
        }
        assertThat(ready(conn, q, dlq)).isEqualTo(Map.of(q, 2L, dlq, 0L));
        // The moved message is the one that died in q: it says so.
        int withDeath = 0;
        try (var ch = conn.channel()) {
            for (int i = 0; i < 2; i++) {
                TransportMessage t = ch.get(q, true);
                assertThat(t).isNotNull();
                if (q.equals(DeadLetters.lastQueue(t.content().headers()))) {
                    withDeath++;
                }
            }
        }
        assertThat(withDeath).isEqualTo(1);
    }

    /** The ready counts of {@code queues} as the broker tells them (passive declares). */
    private static Map<String, Long> ready(Connection conn, String... queues) {
        Map<String, Long> out = new java.util.HashMap<>();
        for (String name : queues) {
            QueueInfo info = conn.defaultChannel().declareQueue(Queue.of(name), true);
            out.put(name, info.messageCount());
        }
        return out;
    }

    @Test
    void portInUseIsOneErrorLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliRunner.Result r = CliRunner.run("--url", "memory://", "monitor", "--port", String.valueOf(taken.getLocalPort()));
            assertThat(r.status()).isEqualTo(1);
            assertThat(r.err().strip()).startsWith("kombu4j: error: ").contains("in use").doesNotContain("\n");
        }
    }

    @Test
    void nonLoopbackWithoutCredentialIsAUsageError() {
        CliRunner.Result r = CliRunner.run("--url", "memory://", "monitor", "--port", "0", "--bind", "0.0.0.0");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("needs a credential").contains("--token");
    }

    /**
     * Binds the wildcard address (not loopback, so the credential is required) and connects through loopback,
     * which the wildcard includes: this is the command's real non-loopback mode, not a forced one.
     */
    @Test
    void nonLoopbackAnswers401WithoutTheToken() throws Exception {
        String url = "memory://monitor-" + UUID.randomUUID().toString().substring(0, 8);
        String q = CliRunner.unique("mon.secret-queue");
        try (Connection conn = Connection.open(url)) {
            publish(conn, q, 1);
            try (MonitorRun m = new MonitorRun(Map.of("KOMBU4J_MONITOR_TOKEN", "t0k3n"),
                    "--url", url, "monitor", "--port", "0", "--bind", "0.0.0.0")) {
                for (String path : new String[] {"/", "/api/queues", "/api/events", "/api/history", "/metrics", "/nope"}) {
                    HttpResponse<String> r = m.get(path);
                    assertThat(r.statusCode()).as(path).isEqualTo(401);
                    assertThat(r.body()).as(path).doesNotContain(q).doesNotContain("t0k3n");
                }
                HttpResponse<String> action = post(m, "/api/requeue-dead-letters", "queue=" + q + "&confirm=" + q, "requeue");
                assertThat(action.statusCode()).isEqualTo(401);
                assertThat(action.body()).doesNotContain(q);
                assertThat(m.get("/api/queues", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
                assertThat(m.get("/api/queues?token=wrong").statusCode()).isEqualTo(401);
                HttpResponse<String> ok = m.get("/api/queues", "Authorization", "Bearer t0k3n");
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(ok.body()).contains(q);
                // A browser opens /?token=T once; the cookie it gets lets the page's own requests through.
                HttpResponse<String> page = m.get("/?token=t0k3n");
                assertThat(page.statusCode()).isEqualTo(200);
                String cookie = page.headers().firstValue("Set-Cookie").orElseThrow();
                assertThat(cookie).contains("HttpOnly");
                assertThat(m.get("/metrics", "Cookie", cookie.split(";")[0]).statusCode()).isEqualTo(200);
            }
            try (MonitorRun m = MonitorRun.start(url, "--bind", "0.0.0.0", "--basic-auth", "ann:pw1")) {
                assertThat(m.get("/api/queues").statusCode()).isEqualTo(401);
                assertThat(m.get("/api/queues").headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
                String wrong = Base64.getEncoder().encodeToString("ann:nope".getBytes(StandardCharsets.UTF_8));
                assertThat(m.get("/api/queues", "Authorization", "Basic " + wrong).statusCode()).isEqualTo(401);
                String right = Base64.getEncoder().encodeToString("ann:pw1".getBytes(StandardCharsets.UTF_8));
                assertThat(m.get("/api/queues", "Authorization", "Basic " + right).body()).contains(q);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    static void publish(Connection conn, String q, int n) {
        publish(conn, Queue.of(q), n);
    }

    static void publish(Connection conn, Queue q, int n) {
        Producer p = conn.producer();
        for (int i = 0; i < n; i++) {
            p.publish(Map.of("n", i), PublishOptions.builder().routingKey(q.name()).declare(q).build());
        }
    }

    /** A message delivered and not acknowledged, held by a consumer with a prefetch of one. */
    record Held(Consumer consumer, Message message) {
        void ack(Connection conn) {
            message.ack();
            conn.drainEvents(Duration.ofMillis(200));
            consumer.close();
        }
    }

    static Held take(Connection conn, String q) {
        return take(conn, Queue.of(q));
    }

    static Held take(Connection conn, Queue q) {
        AtomicReference<Message> got = new AtomicReference<>();
        Consumer c = conn.consumer(q).prefetch(1).onMessage((body, msg) -> got.compareAndSet(null, msg)).consume();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (got.get() == null && System.nanoTime() < deadline) {
            conn.drainEvents(Duration.ofMillis(200));
        }
        assertThat(got.get()).as("a delivery from " + q).isNotNull();
        return new Held(c, got.get());
    }

    static JsonNode awaitQueue(MonitorRun m, String queue, Predicate<JsonNode> done) throws Exception {
        return awaitQueue(m, queue, done, Duration.ofSeconds(10));
    }

    static JsonNode awaitQueue(MonitorRun m, String queue, Predicate<JsonNode> done, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String last = "";
        while (true) {
            HttpResponse<String> r = m.get("/api/queues");
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200) {
                JsonNode all = JSON.readTree(r.body());
                assertThat(all.isArray()).as(last).isTrue();
                for (JsonNode row : all) {
                    assertThat(row.has("name") && row.has("ready") && row.has("unacked")).as(row.toString()).isTrue();
                    if (row.path("name").asText().equals(queue) && done.test(row)) {
                        return row;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("queue " + queue + " not as expected within " + within + "; last: " + last);
            }
            Thread.sleep(100);
        }
    }

    static JsonNode awaitStatus(MonitorRun m, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "";
        while (true) {
            HttpResponse<String> r = m.get("/api/status");
            last = r.body();
            JsonNode s = JSON.readTree(r.body());
            if (done.test(s)) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("status not as expected within 30 s; last: " + last);
            }
            Thread.sleep(200);
        }
    }

    /** /metrics is valid text format and has the queue's ready count. */
    static void assertMetrics(MonitorRun m, String queue, long ready) throws IOException, InterruptedException {
        HttpResponse<String> r = m.get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        for (String line : r.body().split("\n")) {
            if (line.startsWith("#")) {
                assertThat(line).matches("# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+");
            } else {
                assertThat(SAMPLE.matcher(line).matches()).as(line).isTrue();
            }
        }
        assertThat(r.body()).contains("kombu4j_queue_messages_ready{queue=\"" + queue + "\"} " + ready + "\n");
        assertThat(r.body()).contains("kombu4j_monitor_broker_up 1\n");
    }

    private static void pgAdmin(String sql) throws Exception {
        try (java.sql.Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", null);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
