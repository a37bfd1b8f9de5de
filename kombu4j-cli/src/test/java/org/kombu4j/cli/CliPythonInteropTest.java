package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kombu4j.cli.PythonPeer.Broker;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * The {@code kombu4j} command (in-process) against real Python Kombu 5.2 on real Redis and RabbitMQ:
 * what one side publishes the other consumes with the same body, content type, headers, properties
 * and priority meaning; entities declared by either side are accepted by the other (DESIGN.md, "The
 * {@code kombu4j} command"; WIRE.md §4, §10, §12).
 */
class CliPythonInteropTest {
    private static final List<String> JSON_KEYS = List.of("body", "content_type", "content_encoding", "headers", "properties",
            "delivery_info");

    private Broker broker;
    private String url;
    private String prefix;
    private final List<String> queues = new ArrayList<>();
    private final List<String> exchanges = new ArrayList<>();

    @TempDir Path tmp;

    private void on(Broker b) {
        broker = b;
        url = b.require();
        prefix = "k4jcli." + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    @AfterEach
    void cleanUp() {
        if (url != null) {
            PythonPeer.run("cleanup", url, Map.of("prefix", prefix, "queues", queues, "exchanges", exchanges));
        }
    }

    // ------------------------------------------------------------------ Python publishes, the CLI consumes

    @ParameterizedTest
    @EnumSource(Broker.class)
    void consumeJsonPrintsWhatPythonPublishedWithEveryCodec(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("codecs");
        byte[] raw = {0, 1, 2, (byte) 0xff};
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")),
                msg(ex, "rk", Map.of("a", 1, "b", List.of(1, 2.5, "x")), "serializer", "json",
                        "headers", Map.of("x-h", "v", "n", 3), "correlation_id", "c1", "reply_to", "r1"),
                msg(ex, "rk", Map.of("m", List.of(1, 2)), "serializer", "msgpack", "compression", "zlib"),
                msg(ex, "rk", Map.of("y", "z"), "serializer", "yaml", "compression", "bzip2"),
                msg(ex, "rk", "hello \u2713", "compression", "gzip"),
                msgRaw(ex, "rk", raw, "content_type", "application/data", "content_encoding", "binary"));

        CliRunner.Result r = cli("consume", "--queue", q, "--count", "5", "--json", "--timeout", "5");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.errLines()).singleElement().asString().startsWith("consumed 5 messages from queue '" + q + "'");
        List<Map<String, Object>> got = r.outLines().stream().map(PythonPeer::parseObject).toList();
        assertThat(got).hasSize(5);
        for (Map<String, Object> m : got) {
            assertThat(m.keySet()).containsExactlyElementsOf(JSON_KEYS);
            assertThat(m.get("delivery_info")).isEqualTo(Map.of("exchange", ex, "routing_key", "rk"));
            assertThat(props(m)).containsEntry("delivery_mode", 2).containsEntry("priority", 0);
        }

        Map<String, Object> json = got.get(0);
        assertThat(json.get("body")).isEqualTo(Map.of("a", 1, "b", List.of(1, 2.5, "x")));
        assertThat(json.get("content_type")).isEqualTo("application/json");
        assertThat(json.get("content_encoding")).isEqualTo("utf-8");
        assertThat(json.get("headers")).isEqualTo(Map.of("x-h", "v", "n", 3));
        assertThat(props(json)).containsEntry("correlation_id", "c1").containsEntry("reply_to", "r1");

        Map<String, Object> msgpack = got.get(1);
        assertThat(msgpack.get("body")).isEqualTo(Map.of("m", List.of(1, 2)));
        assertThat(msgpack.get("content_type")).isEqualTo("application/x-msgpack");
        assertThat(msgpack.get("content_encoding")).isEqualTo("binary");
        assertThat(msgpack.get("headers")).isEqualTo(Map.of("compression", "application/x-gzip"));

        Map<String, Object> yaml = got.get(2);
        assertThat(yaml.get("body")).isEqualTo(Map.of("y", "z"));
        assertThat(yaml.get("content_type")).isEqualTo("application/x-yaml");
        assertThat(yaml.get("headers")).isEqualTo(Map.of("compression", "application/x-bz2"));

        Map<String, Object> text = got.get(3);
        assertThat(text.get("body")).isEqualTo("hello \u2713");
        assertThat(text.get("content_type")).isEqualTo("text/plain");
        assertThat(text.get("content_encoding")).isEqualTo("utf-8");
        assertThat(text.get("headers")).isEqualTo(Map.of("compression", "application/x-gzip"));

        Map<String, Object> bytes = got.get(4);
        assertThat(bytes.get("body")).isEqualTo(Base64.getEncoder().encodeToString(raw));
        assertThat(bytes.get("content_type")).isEqualTo("application/data");
        assertThat(bytes.get("content_encoding")).isEqualTo("binary");

        // Acknowledged: nothing is left for anyone else.
        assertThat(cli("consume", "--queue", q, "--timeout", "0").outLines()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void headerValuesOfEveryKindPythonSends(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("headers");
        long big = 1L << 40;
        Map<String, Object> headers = new LinkedHashMap<>();
        // py-amqp writes integers beyond 32 bits with the 'L' tag, which the RabbitMQ Java client refused.
        headers.put("big", big);
        headers.put("neg", -big);
        headers.put("nested", Map.of("k", List.of(1, "two", true, 1.5, big)));
        headers.put("none", null);
        headers.put("flag", false);
        headers.put("text", "\u00fcn\u00ef");
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")), msg(ex, "rk", Map.of("n", big), "headers", headers),
                msg(ex, "rk", "after"));
        CliRunner.Result r = cli("consume", "--queue", q, "--count", "2", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.errLines()).singleElement().asString().startsWith("consumed 2 messages");
        Map<String, Object> m = PythonPeer.parseObject(r.outLines().get(0));
        assertThat(m.get("body")).isEqualTo(Map.of("n", big));
        assertThat(m.get("headers")).isEqualTo(headers);
        assertThat(PythonPeer.parseObject(r.outLines().get(1)).get("body")).isEqualTo("after");
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void readableLinesGoToStdoutAndTheSummaryToStderr(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("lines");
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")),
                msg(ex, "rk", Map.of("k", "v1")), msg(ex, "rk", "second line", "headers", Map.of("h", 1)));
        CliRunner.Result r = cli("consume", "--queue", q, "--count", "2", "--timeout", "5");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.outLines()).hasSize(2);
        assertThat(r.outLines().get(0)).contains(ex).contains("rk").contains("application/json").contains("\"k\":\"v1\"")
                .doesNotStartWith("{");
        assertThat(r.outLines().get(1)).contains("text/plain").contains("second line").contains("\"h\":1");
        assertThat(r.errLines()).singleElement().asString()
                .matches("consumed 2 messages from queue '" + java.util.regex.Pattern.quote(q) + "' in [0-9.]+ s \\(.* msgs/s\\)");
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void consumeCountLeavesTheRestForOthers(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("rest");
        // With and without --no-ack: a broker pushes every ready message to a no-ack consumer, whatever its prefetch.
        for (boolean noAck : new boolean[] {false, true}) {
            pyPublish(List.of(queueSpec(q, ex, "direct", "rk")), msg(ex, "rk", 1), msg(ex, "rk", 2), msg(ex, "rk", 3));
            CliRunner.Result r = noAck ? cli("consume", "--queue", q, "--count", "1", "--json", "--no-ack")
                    : cli("consume", "--queue", q, "--count", "1", "--json");
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.outLines()).singleElement()
                    .satisfies(l -> assertThat(PythonPeer.parseObject(l).get("body")).isEqualTo(1));
            assertThat(bodies(pyConsume(q, 2))).as("no-ack: " + noAck).containsExactly(2, 3);
        }
    }

    /**
     * A closed standard output (a reader such as {@code head} gone) stops consume with exit 1 and leaves
     * the messages it could not print in the queue; PrintStream swallowed the error and every message
     * was acknowledged unseen.
     */
    @ParameterizedTest
    @EnumSource(Broker.class)
    void aClosedStdoutLosesNoMessage(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("closed");
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")), msg(ex, "rk", 1), msg(ex, "rk", 2), msg(ex, "rk", 3));
        java.io.OutputStream closed = new java.io.OutputStream() {
            @Override
            public void write(int c) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        };
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int status = Main.run(new String[] {"--url", url, "consume", "--queue", q, "--timeout", "1"},
                new java.io.PrintStream(closed, false, StandardCharsets.UTF_8), new java.io.PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of());
        String errText = err.toString(StandardCharsets.UTF_8);
        assertThat(status).as(errText).isEqualTo(1);
        assertThat(errText.lines().toList()).singleElement().asString().startsWith("kombu4j: error: cannot write to standard output");
        assertThat(bodies(pyConsume(q, 3))).containsExactlyInAnyOrder(1, 2, 3);
    }

    /**
     * A consumer killed while it waits (SIGTERM; Ctrl-C alike) gives back what it holds unacknowledged at
     * once, as Python Kombu does on KeyboardInterrupt: on Redis the undecodable message it held back
     * stayed in the unacked hash until visibility_timeout (an hour).
     */
    @ParameterizedTest
    @EnumSource(Broker.class)
    void aKilledConsumerGivesBackWhatItHeld(Broker b) throws Exception {
        on(b);
        String ex = ex("direct");
        String q = q("killed");
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")), msg(ex, "rk", Map.of("p", 1), "serializer", "pickle"));
        Path out = tmp.resolve("out.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "--url", url, "consume", "--queue", q, "--timeout", "60")
                .redirectOutput(out.toFile()).redirectError(tmp.resolve("err.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.size(out) == 0 && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(100);
            }
            assertThat(Files.readString(out)).as(Files.readString(tmp.resolve("err.txt"))).contains("decode_error");
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        CliRunner.Result again = cli("consume", "--queue", q, "--count", "1", "--timeout", "5", "--json");
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(PythonPeer.parseObject(again.outLines().get(0)).get("content_type")).isEqualTo("application/x-python-serialize");
    }

    /**
     * A RabbitMQ connection closed under a waiting consumer told not to reconnect ({@code --reconnect-timeout 0};
     * by default it reconnects, see ConsumeReconnectTest): exit 1 at once with one line on stderr (the
     * transport's warning of the loss came first, a second line). Closed with rabbitmqctl.
     */
    @org.junit.jupiter.api.Test
    void aLostAmqpConnectionIsOneErrorLine() throws Exception {
        on(Broker.AMQP);
        String q = q("lost");
        String name = prefix + "conn";
        pyDeclare(List.of(), List.of(Map.of("name", q)));
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        String connUrl = url + (url.contains("?") ? "&" : "?") + "connection_name=" + name;
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "--url", connUrl, "consume", "--queue", q,
                "--timeout", "60", "--reconnect-timeout", "0").redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("KOMBU4J_DEBUG");
        Process p = pb.start();
        try {
            String pid = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pid == null && System.nanoTime() < deadline) {
                String list = LocalRabbit.rabbitmqctl("list_connections", "-q", "pid", "client_properties");
                if (list == null) {
                    throw TestEnvironment.unavailable("rabbitmqctl is not usable here");
                }
                pid = list.lines().filter(l -> l.contains(name)).map(l -> l.trim().split("\\s+")[0]).findFirst().orElse(null);
                Thread.sleep(200);
            }
            assertThat(pid).as("connection " + name).isNotNull();
            assertThat(LocalRabbit.rabbitmqctl("close_connection", pid, "kombu4j cli test")).isNotNull();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(Files.readString(out)).isEmpty();
        assertThat(Files.readAllLines(err)).singleElement().asString().startsWith("kombu4j: error: ").contains("lost")
                .doesNotContain("guest:guest");
    }

    /** Kombu decodes text with Python's codecs, which know {@code latin-1} and {@code utf_8}; Java spells them otherwise. */
    @ParameterizedTest
    @EnumSource(Broker.class)
    void textInPythonSpelledEncodings(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("encodings");
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")),
                msgRaw(ex, "rk", "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1), "content_type", "text/plain",
                        "content_encoding", "latin-1"),
                msgRaw(ex, "rk", "caf\u00e9".getBytes(StandardCharsets.UTF_8), "content_type", "text/plain",
                        "content_encoding", "utf_8"));
        CliRunner.Result r = cli("consume", "--queue", q, "--count", "2", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.outLines().stream().map(l -> PythonPeer.parseObject(l).get("body")).toList())
                .containsExactly("caf\u00e9", "caf\u00e9");
    }

    /**
     * {@code --timeout 0} means "stop when the queue is empty": it used to stop before the first
     * message had come back (a BRPOP reply, a RabbitMQ push), printing nothing from a full queue.
     */
    @ParameterizedTest
    @EnumSource(Broker.class)
    void zeroTimeoutDrainsWhatIsReady(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("zero");
        for (String[] extra : new String[][] {{}, {"--no-ack"}, {"--prefetch", "1"}, {"--count", "3"}}) {
            pyPublish(List.of(queueSpec(q, ex, "direct", "rk")), msg(ex, "rk", 1), msg(ex, "rk", 2), msg(ex, "rk", 3));
            List<String> args = new ArrayList<>(List.of("consume", "--queue", q, "--timeout", "0", "--json"));
            args.addAll(List.of(extra));
            CliRunner.Result r = cli(args.toArray(String[]::new));
            assertThat(r.status()).as(String.join(" ", extra) + ": " + r.err()).isZero();
            assertThat(r.outLines().stream().map(l -> PythonPeer.parseObject(l).get("body")).toList())
                    .as(String.join(" ", extra)).containsExactly(1, 2, 3);
            assertThat(pyConsume(q, 0)).isEmpty();
        }
        // An empty queue: done at once, and with --count that is a timeout.
        assertThat(cli("consume", "--queue", q, "--timeout", "0").status()).isZero();
        assertThat(cli("consume", "--queue", q, "--timeout", "0", "--count", "1").status()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ the CLI publishes, Python consumes

    @ParameterizedTest
    @EnumSource(Broker.class)
    void pythonReadsWhatPublishSendsWithEverySerializer(Broker b) throws Exception {
        on(b);
        String ex = ex("direct");
        String q = q("serializers");
        pyDeclare(List.of(), List.of(queueSpec(q, ex, "direct", "rk")));
        // 1e100: YAML 1.1 wants an exponent sign; unicode and escapes: every serializer keeps them.
        String doc = "{\"a\":[1,2.5,\"x\"],\"n\":null,\"f\":1e100,\"u\":\"\u00fcn\u00ef \\\"q\\\" \\t\",\"big\":-9007199254740993}";
        Map<String, Object> parsed = new LinkedHashMap<>();
        parsed.put("a", List.of(1, 2.5, "x"));
        parsed.put("n", null);
        parsed.put("f", 1e100);
        parsed.put("u", "\u00fcn\u00ef \"q\" \t");
        parsed.put("big", -9007199254740993L);
        byte[] raw = {0, 1, 2, (byte) 0xff, '\n'};
        Path file = tmp.resolve("body.bin");
        Files.write(file, raw);

        for (String[] sc : new String[][] {{"json", "zlib"}, {"msgpack", "bzip2"}, {"yaml", "gzip"}}) {
            ok(cli("publish", "--exchange", ex, "--routing-key", "rk", "--serializer", sc[0], "--compression", sc[1],
                    "--body", doc, "--header", "k=v", "--header", "num=7", "--header", "flag=true"));
        }
        ok(cli("publish", "--exchange", ex, "--routing-key", "rk", "--serializer", "text", "--body", "plain \u2713 {x}"));
        ok(cli("publish", "--exchange", ex, "--routing-key", "rk", "--serializer", "raw", "--file", file.toString()));
        ok(cliIn("{\"l\":1}\n\n{\"l\":2}\n", "publish", "--exchange", ex, "--routing-key", "rk", "--lines"));
        CliRunner.Result count = cli("publish", "--exchange", ex, "--routing-key", "rk", "--serializer", "text", "--count", "2",
                "--body", "again");
        ok(count);
        assertThat(count.errLines()).singleElement().asString().startsWith("published 2 messages");

        List<Map<String, Object>> got = pyConsume(q, 9);
        assertThat(got).hasSize(9);
        for (Map<String, Object> m : got) {
            assertThat(m.get("exchange")).isEqualTo(ex);
            assertThat(m.get("routing_key")).isEqualTo("rk");
            assertThat(props(m)).containsEntry("delivery_mode", 2).containsEntry("priority", 0);
        }
        String[] types = {"application/json", "application/x-msgpack", "application/x-yaml"};
        String[] encodings = {"utf-8", "binary", "utf-8"};
        String[] compressions = {"application/x-gzip", "application/x-bz2", "application/x-gzip"};
        for (int i = 0; i < 3; i++) {
            Map<String, Object> m = got.get(i);
            assertThat(m.get("body")).isEqualTo(parsed);
            assertThat(m.get("content_type")).isEqualTo(types[i]);
            assertThat(m.get("content_encoding")).isEqualTo(encodings[i]);
            assertThat(m.get("headers")).isEqualTo(Map.of("k", "v", "num", 7, "flag", true, "compression", compressions[i]));
        }
        assertThat(got.get(3).get("body")).isEqualTo("plain \u2713 {x}");
        assertThat(got.get(3).get("content_type")).isEqualTo("text/plain");
        assertThat(got.get(3).get("content_encoding")).isEqualTo("utf-8");
        assertThat(got.get(4).get("body")).isEqualTo(Map.of("b64", Base64.getEncoder().encodeToString(raw)));
        assertThat(got.get(4).get("content_type")).isEqualTo("application/data");
        assertThat(got.get(4).get("content_encoding")).isEqualTo("binary");
        assertThat(bodies(got.subList(5, 9))).containsExactly(Map.of("l", 1), Map.of("l", 2), "again", "again");
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void declareQueueMakesAQueuePythonCanRedeclare(Broker b) {
        on(b);
        String ex = ex("topic");
        String q = q("declared");
        ok(cli("publish", "--exchange", ex, "--type", "topic", "--routing-key", "a.b", "--declare-queue", q, "--body", "{\"d\":1}",
                "--priority", "0"));
        // Python declares the same entities with Kombu's defaults: durable, not auto-delete. A mismatch
        // would be PRECONDITION_FAILED on RabbitMQ and fail the peer.
        pyDeclare(List.of(Map.of("name", ex, "type", "topic")), List.of(queueSpec(q, ex, "topic", "a.b")));
        assertThat(bodies(pyConsume(q, 1))).containsExactly(Map.of("d", 1));
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void exchangesDeclaredByEitherSideAreTheSame(Broker b) {
        on(b);
        List<Map<String, Object>> pyFirst = new ArrayList<>();
        for (String type : List.of("direct", "topic", "fanout")) {
            pyFirst.add(Map.of("name", ex("py-" + type), "type", type));
        }
        pyDeclare(pyFirst, List.of());
        for (String type : List.of("direct", "topic", "fanout")) {
            ok(cli("publish", "--exchange", prefix + "py-" + type, "--type", type, "--routing-key", "k", "--body", "1"));
            ok(cli("publish", "--exchange", ex("cli-" + type), "--type", type, "--routing-key", "k", "--body", "1"));
        }
        List<Map<String, Object>> cliFirst = new ArrayList<>();
        for (String type : List.of("direct", "topic", "fanout")) {
            cliFirst.add(Map.of("name", prefix + "cli-" + type, "type", type));
        }
        pyDeclare(cliFirst, List.of());
        if (!broker.isRedis()) {
            // A real mismatch is reported, in one line, exit 1.
            CliRunner.Result r = cli("publish", "--exchange", prefix + "py-direct", "--type", "topic", "--routing-key", "k",
                    "--body", "1");
            assertBrokerError(r).contains("PRECONDITION_FAILED");
        }
    }

    // ------------------------------------------------------------------ queues declared with arguments

    @ParameterizedTest
    @EnumSource(Broker.class)
    void consumeAloneDoesNotRedeclareAQueueWithArguments(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("args");
        Map<String, Object> spec = queueSpec(q, ex, "direct", "rk");
        spec.put("max_priority", 10);
        spec.put("message_ttl", 60);
        pyPublish(List.of(spec), msg(ex, "rk", "one"), msg(ex, "rk", "two"));
        CliRunner.Result r = cli("consume", "--queue", q, "--count", "2", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.outLines()).hasSize(2);
        // Still the queue Python declared: the same declaration is accepted again.
        pyDeclare(List.of(), List.of(spec));
        if (!broker.isRedis()) {
            // Declaring it (--exchange) without the arguments is refused by RabbitMQ: one line, exit 1.
            CliRunner.Result redeclare = cli("consume", "--queue", q, "--exchange", ex, "--routing-key", "rk", "--count", "1",
                    "--timeout", "1");
            assertBrokerError(redeclare)
                    .contains("PRECONDITION_FAILED");
        }
    }

    // ------------------------------------------------------------------ priorities

    @ParameterizedTest
    @EnumSource(Broker.class)
    void prioritiesMeanWhatTheyMeanToKombuOnEachBroker(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("prio");
        Map<String, Object> spec = queueSpec(q, ex, "direct", "rk");
        spec.put("max_priority", 10);
        // Redis: lower first, steps 0-2, 3-5, 6-8, 9 (WIRE.md §4); AMQP: higher first (§10).
        List<Integer> expected = broker.isRedis() ? List.of(0, 4, 9) : List.of(9, 4, 0);
        pyPublish(List.of(spec), msg(ex, "rk", 0, "priority", 0), msg(ex, "rk", 9, "priority", 9),
                msg(ex, "rk", 4, "priority", 4));
        CliRunner.Result r = cli("consume", "--queue", q, "--count", "3", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        List<Map<String, Object>> got = r.outLines().stream().map(PythonPeer::parseObject).toList();
        assertThat(bodies(got)).isEqualTo(expected);
        for (Map<String, Object> m : got) {
            assertThat(props(m).get("priority")).isEqualTo(m.get("body"));
        }

        for (String p : List.of("0", "9", "4")) {
            ok(cli("publish", "--exchange", ex, "--routing-key", "rk", "--priority", p, "--body", p));
        }
        List<Map<String, Object>> py = pyConsume(q, 3);
        assertThat(bodies(py)).isEqualTo(expected);
        for (Map<String, Object> m : py) {
            assertThat(props(m).get("priority")).isEqualTo(m.get("body"));
        }
    }

    // ------------------------------------------------------------------ topic and fanout routing

    @ParameterizedTest
    @EnumSource(Broker.class)
    void topicRoutesTheSameFromEitherSide(Broker b) {
        on(b);
        String ex = ex("topic");
        String pyQueue = q("py-topic");
        pyDeclare(List.of(), List.of(queueSpec(pyQueue, ex, "topic", "stock.#")));
        // The miss goes first: were it routed, FIFO would hand it to Python first.
        ok(cli("publish", "--exchange", ex, "--type", "topic", "--routing-key", "bond.x", "--body", "\"miss\""));
        ok(cli("publish", "--exchange", ex, "--type", "topic", "--routing-key", "stock.usd.nyse", "--body", "\"hit\""));
        List<Map<String, Object>> got = pyConsume(pyQueue, 1);
        assertThat(bodies(got)).containsExactly("hit");
        assertThat(got.get(0).get("routing_key")).isEqualTo("stock.usd.nyse");

        String cliQueue = q("cli-topic");
        // Declares the queue and binding, then stops at once: nothing is there yet.
        ok(cli("consume", "--queue", cliQueue, "--exchange", ex, "--type", "topic", "--routing-key", "news.*", "--timeout", "0"));
        pyPublish(List.of(), msg(ex, "sports.x", "miss", "type", "topic"), msg(ex, "news.today", "hit", "type", "topic"));
        CliRunner.Result r = cli("consume", "--queue", cliQueue, "--count", "1", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        Map<String, Object> m = PythonPeer.parseObject(r.outLines().get(0));
        assertThat(m.get("body")).isEqualTo("hit");
        assertThat(m.get("delivery_info")).isEqualTo(Map.of("exchange", ex, "routing_key", "news.today"));
        assertThat(cli("consume", "--queue", cliQueue, "--timeout", "0").outLines()).isEmpty();
        assertThat(pyConsume(pyQueue, 0)).isEmpty();
        // The queue consume declared is one Python declares the same way (durable, not auto-delete).
        pyDeclare(List.of(Map.of("name", ex, "type", "topic")), List.of(queueSpec(cliQueue, ex, "topic", "news.*")));
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void fanoutConsumerGetsWhatPythonPublishesAfterItStarted(Broker b) throws Exception {
        on(b);
        String ex = ex("fanout");
        String q = q("cli-fan");
        // Fanout ignores routing keys; on Redis Kombu publishes a keyed message to "/db.ex/key" (§5).
        for (String rk : List.of("", "any.key")) {
            // On Redis fanout is PUBLISH to a channel: only a consumer already subscribed sees it. The CLI
            // consumer cannot say when it is ready, so Python publishes until the consumer has one.
            CompletableFuture<CliRunner.Result> consumer = CompletableFuture.supplyAsync(() -> cli("consume", "--queue", q,
                    "--exchange", ex, "--type", "fanout", "--count", "1", "--json", "--timeout", "10"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!consumer.isDone() && System.nanoTime() < deadline) {
                pyPublish(List.of(), msg(ex, rk, Map.of("fan", rk), "type", "fanout"));
                Thread.sleep(150);
            }
            CliRunner.Result r = consumer.get(15, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.err()).isZero();
            Map<String, Object> m = PythonPeer.parseObject(r.outLines().get(0));
            assertThat(m.get("body")).isEqualTo(Map.of("fan", rk));
            assertThat(m.get("delivery_info")).isEqualTo(Map.of("exchange", ex, "routing_key", rk));
            // AMQP queues keep what arrived after the consumer stopped; empty it for the next round.
            cli("purge", "--queue", q);
        }
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void pythonFanoutConsumerGetsWhatPublishSends(Broker b) throws Exception {
        on(b);
        String ex = ex("fanout");
        String q = q("py-fan");
        Map<String, Object> spec = Map.of("queues", List.of(queueSpec(q, ex, "fanout", "")), "count", 1, "timeout", 10,
                "declare", true);
        Process py = PythonPeer.start("consume", url, spec);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (py.isAlive() && System.nanoTime() < deadline) {
            ok(cli("publish", "--exchange", ex, "--type", "fanout", "--routing-key", "", "--body", "{\"fan\":1}"));
            Thread.sleep(150);
        }
        List<Map<String, Object>> got = PythonPeer.parseList(PythonPeer.finish(py, "consume"));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).get("body")).isEqualTo(Map.of("fan", 1));
        assertThat(got.get(0).get("exchange")).isEqualTo(ex);
    }

    // ------------------------------------------------------------------ purge, queues

    @ParameterizedTest
    @EnumSource(Broker.class)
    void purgeAndQueuesSeeAQueuePythonMade(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("purge");
        Map<String, Object> spec = queueSpec(q, ex, "direct", "rk");
        spec.put("max_priority", 10);
        // Priority 9 lands in its own list on Redis (WIRE.md §4): still one queue, counted once.
        pyPublish(List.of(spec), msg(ex, "rk", 1), msg(ex, "rk", 2), msg(ex, "rk", 3, "priority", 9));

        String unbound = q("unbound");
        if (broker.isRedis()) {
            // A queue with no exchange, only ever reached through the default one, holding a priority-9
            // message: on Redis nothing but its "q\x06\x169" list says it exists.
            pyPublish(List.of(), msg("", unbound, "lone", "priority", 9));
        }

        if (broker.isRedis()) {
            CliRunner.Result listed = cli("queues");
            assertThat(listed.status()).as(listed.err()).isZero();
            assertThat(listed.outLines()).contains(q + "\t3", unbound + "\t1").allMatch(l -> l.matches("[^\t]+\t-?\\d+"))
                    .noneMatch(l -> l.contains("\u0006"));
        } else {
            // Names through RabbitMQ's management API, as Kombu's get_manager(); counts from the queues themselves.
            broker.requireManagement();
            assertThat(queuesUntilListed(q + "\t3")).allMatch(l -> l.matches("[^\t]+\t\\d+"));

            // Without the management API: one line naming the plugin, exit 1.
            CliRunner.Result noApi = CliRunner.runWith(Map.of(), "", "--url", url + "?manager_port=1", "queues");
            assertBrokerError(noApi)
                    .contains("127.0.0.1:1").contains("rabbitmq-plugins enable rabbitmq_management");
        }

        CliRunner.Result purged = cli("purge", "--queue", q);
        assertThat(purged.status()).as(purged.err()).isZero();
        assertThat(purged.out()).isEqualTo("purged 3 messages from queue '" + q + "'\n");
        if (broker.isRedis()) {
            assertThat(cli("queues").outLines()).contains(q + "\t0");
        } else {
            queuesUntilListed(q + "\t0");
        }
        assertThat(pyConsume(q, 0)).isEmpty();
        assertThat(cli("purge", "--queue", q).out()).isEqualTo("purged 0 messages from queue '" + q + "'\n");
    }

    // ------------------------------------------------------------------ failures

    @ParameterizedTest
    @EnumSource(Broker.class)
    void anAbsentBrokerFailsFastWithOneLine(Broker b) {
        on(b);
        String[][] commands = {
            {"consume", "--queue", "q", "--count", "1"},
            {"publish", "--exchange", "ex", "--routing-key", "rk", "--body", "1"},
            {"purge", "--queue", "q"},
            {"queues"},
        };
        for (String[] c : commands) {
            long started = System.nanoTime();
            List<String> args = new ArrayList<>(List.of("--url", b.absentUrl));
            args.addAll(List.of(c));
            CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));
            assertBrokerError(r).contains("127.0.0.1:1");
            assertThat(System.nanoTime() - started).as("seconds").isLessThan(TimeUnit.SECONDS.toNanos(10));
        }
    }

    /**
     * A URL that names the other broker's port: a one-line error that says what went wrong, in seconds.
     * AMQP against Redis used to end in a bare "TimeoutException".
     */
    @ParameterizedTest
    @EnumSource(Broker.class)
    void theWrongProtocolOnAPortFailsFastSayingSo(Broker b) {
        on(b);
        String wrong = broker.isRedis() ? "amqp://guest:s3cret@127.0.0.1:" + Broker.REDIS.port + "//"
                : "redis://:s3cret@127.0.0.1:" + Broker.AMQP.port + "/0";
        long started = System.nanoTime();
        CliRunner.Result r = CliRunner.run("--url", wrong, "queues");
        assertThat(System.nanoTime() - started).as("nanoseconds").isLessThan(TimeUnit.SECONDS.toNanos(15));
        assertBrokerError(r).contains("127.0.0.1:").doesNotContain("s3cret").doesNotEndWith("Exception");
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void aRefusedLoginIsABrokerErrorNotBadUsage(Broker b) {
        on(b);
        // Redis here has no password, so any password is accepted for "default": use an unknown ACL user.
        String refused = broker.isRedis() ? url.replace("redis://", "redis://k4j-no-such-user:pw@")
                : url.replace("guest:guest@", "guest:wrong@");
        CliRunner.Result r = CliRunner.run("--url", refused, "purge", "--queue", "q");
        assertBrokerError(r).doesNotContain(":pw@", "wrong");
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void exitCodesOnABroker(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("exit");
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")), msg(ex, "rk", "only"));

        // Bad usage: 2, nothing sent.
        assertThat(cli("consume").status()).isEqualTo(2);
        CliRunner.Result badSer = cli("publish", "--exchange", ex, "--routing-key", "rk", "--serializer", "pickle", "--body", "1");
        assertThat(badSer.status()).isEqualTo(2);
        assertThat(badSer.errLines()).hasSize(1);
        CliRunner.Result badJson = cli("publish", "--exchange", ex, "--routing-key", "rk", "--body", "{oops");
        assertThat(badJson.status()).isEqualTo(2);
        assertThat(badJson.errLines()).singleElement().asString().contains("--body");

        if (broker.isRedis()) {
            // Kombu's Redis transport has no headers exchanges: refused up front, not silently dropped.
            CliRunner.Result headers = cli("publish", "--exchange", ex("headers"), "--type", "headers", "--routing-key", "rk",
                    "--body", "1");
            assertThat(headers.status()).isEqualTo(2);
            assertThat(headers.errLines()).singleElement().asString().contains("headers");
            CliRunner.Result consumeHeaders = cli("consume", "--queue", q, "--exchange", prefix + "headers", "--type", "headers",
                    "--timeout", "0");
            assertThat(consumeHeaders.status()).isEqualTo(2);
            assertThat(consumeHeaders.errLines()).singleElement().asString().contains("headers");
        }

        // A timeout before --count: the message that came is printed (and acked), then exit 1.
        CliRunner.Result timeout = cli("consume", "--queue", q, "--count", "2", "--timeout", "0.5", "--json");
        assertThat(timeout.status()).isEqualTo(1);
        assertThat(timeout.outLines()).singleElement().satisfies(l -> assertThat(PythonPeer.parseObject(l).get("body"))
                .isEqualTo("only"));
        assertThat(timeout.errLines()).singleElement().asString().startsWith("kombu4j: error: timed out");
        assertThat(pyConsume(q, 0)).isEmpty();

        // A queue nobody declared is an error on every broker, Redis included (where a BRPOP would just wait):
        // without --count as with it, and for purge too.
        CliRunner.Result missing = cli("consume", "--queue", prefix + "nowhere", "--count", "1", "--timeout", "1");
        assertBrokerError(missing).isEqualTo("kombu4j: error: cannot consume from queue '" + prefix + "nowhere': not found");
        CliRunner.Result missingNoCount = cli("consume", "--queue", prefix + "nowhere", "--timeout", "0");
        assertBrokerError(missingNoCount).contains("not found");
        CliRunner.Result missingPurge = cli("purge", "--queue", prefix + "nowhere");
        assertBrokerError(missingPurge).isEqualTo("kombu4j: error: cannot purge queue '" + prefix + "nowhere': not found");
    }

    @ParameterizedTest
    @EnumSource(Broker.class)
    void undecodableMessagesAreReportedNotDropped(Broker b) {
        on(b);
        String ex = ex("direct");
        String q = q("undecodable");
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")),
                msg(ex, "rk", Map.of("p", 1), "serializer", "pickle"),
                msgRaw(ex, "rk", "{not json".getBytes(StandardCharsets.UTF_8), "content_type", "application/json",
                        "content_encoding", "utf-8"),
                msg(ex, "rk", "fine"));
        CliRunner.Result r = cli("consume", "--queue", q, "--count", "3", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        List<Map<String, Object>> got = r.outLines().stream().map(PythonPeer::parseObject).toList();
        assertThat(got).hasSize(3);
        assertThat(got.get(0).get("content_type")).isEqualTo("application/x-python-serialize");
        assertThat(got.get(0)).containsKey("decode_error");
        assertThat(got.get(1).get("body")).isEqualTo(Base64.getEncoder().encodeToString("{not json".getBytes(StandardCharsets.UTF_8)));
        assertThat(got.get(1)).containsKey("decode_error");
        assertThat(got.get(2).get("body")).isEqualTo("fine");
        assertThat(r.errLines()).filteredOn(l -> l.startsWith("kombu4j: warning: cannot decode")).hasSize(2);

        // Refused, not lost: both are back in the queue (they were rejected without requeue, so dropped).
        CliRunner.Result again = cli("consume", "--queue", q, "--timeout", "0", "--json");
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.outLines().stream().map(l -> PythonPeer.parseObject(l).get("content_type")).toList())
                .containsExactlyInAnyOrder("application/x-python-serialize", "application/json");
        assertThat(again.outLines()).allSatisfy(l -> assertThat(PythonPeer.parseObject(l)).containsKey("decode_error"));
    }

    // ------------------------------------------------------------------ the packaged command

    /**
     * The shaded jar through the real {@code ./kombu4j} launcher: standard output must hold only the
     * JSON lines (no log output), or a {@code --json} consumer breaks. Runs only when the jar is
     * current, as {@link LauncherTest}: the launcher must not start a nested build.
     */
    @ParameterizedTest
    @EnumSource(Broker.class)
    void launcherPrintsOnlyJsonLinesOnStdout(Broker b) throws Exception {
        on(b);
        Path root = Path.of("").toAbsolutePath().getParent();
        Path launcher = root.resolve("kombu4j");
        Path jar = root.resolve("kombu4j-cli/target/kombu4j.jar");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(launcher) && Files.exists(jar)
                && !LauncherTest.anyNewerThan(root, Files.getLastModifiedTime(jar)), "launcher jar missing or older than the sources");
        String ex = ex("direct");
        String q = q("launcher");
        pyPublish(List.of(queueSpec(q, ex, "direct", "rk")), msg(ex, "rk", Map.of("i", 1), "headers", Map.of("big", 1L << 40)),
                msg(ex, "rk", "two"));
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--url", url, "consume", "--queue", q, "--count", "2",
                "--json").redirectError(tmp.resolve("err.txt").toFile());
        pb.environment().remove("KOMBU4J_URL");
        pb.environment().remove("KOMBU4J_DEBUG");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(tmp.resolve("err.txt"));
        assertThat(p.exitValue()).as(err).isZero();
        List<String> lines = List.of(out.split("\n"));
        assertThat(lines).hasSize(2);
        assertThat(PythonPeer.parseObject(lines.get(0)).get("body")).isEqualTo(Map.of("i", 1));
        assertThat(PythonPeer.parseObject(lines.get(1)).get("body")).isEqualTo("two");
        assertThat(err.strip()).startsWith("consumed 2 messages").doesNotContain("\n");

        // Failures: one line on stderr, whatever the broker client logs on its way out.
        String refused = broker.isRedis() ? url : url.replace("guest:guest@", "guest:wrong@");
        for (String[] args : new String[][] {{"--url", b.absentUrl, "queues"}, {"--url", refused, "purge", "--queue", q}}) {
            if (args[1].equals(url)) {
                continue;
            }
            List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
            cmd.addAll(List.of(args));
            Process failing = new ProcessBuilder(cmd).redirectError(tmp.resolve("err2.txt").toFile()).start();
            assertThat(new String(failing.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
            assertThat(failing.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(failing.exitValue()).isNotZero();
            assertThat(Files.readAllLines(tmp.resolve("err2.txt"))).as(String.join(" ", args)).singleElement().asString()
                    .startsWith("kombu4j: ");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Runs {@code queues} until it prints {@code line} (RabbitMQ's statistics lag), at most 30 s; returns its lines. */
    private List<String> queuesUntilListed(String line) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            CliRunner.Result r = cli("queues");
            assertThat(r.status()).as(r.err()).isZero();
            if (r.outLines().contains(line) || System.nanoTime() > deadline) {
                assertThat(r.outLines()).contains(line);
                return r.outLines();
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private String q(String name) {
        String n = prefix + name;
        queues.add(n);
        return n;
    }

    private String ex(String name) {
        String n = prefix + name;
        exchanges.add(n);
        return n;
    }

    private CliRunner.Result cli(String... args) {
        return cliIn("", args);
    }

    private CliRunner.Result cliIn(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("--url", url));
        all.addAll(List.of(args));
        return CliRunner.runWith(Map.of(), stdin, all.toArray(String[]::new));
    }

    private static void ok(CliRunner.Result r) {
        assertThat(r.status()).as("exit status; stderr: " + r.err()).isZero();
    }

    private static Map<String, Object> queueSpec(String name, String exchange, String type, String routingKey) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("exchange", exchange);
        m.put("type", type);
        m.put("routing_key", routingKey);
        return m;
    }

    private static Map<String, Object> msg(String exchange, String routingKey, Object body, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exchange", exchange);
        m.put("routing_key", routingKey);
        m.put("body", body);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> msgRaw(String exchange, String routingKey, byte[] body, Object... kv) {
        Map<String, Object> m = msg(exchange, routingKey, null, kv);
        m.remove("body");
        m.put("body_b64", Base64.getEncoder().encodeToString(body));
        return m;
    }

    @SafeVarargs
    private void pyPublish(List<Map<String, Object>> declare, Map<String, Object>... messages) {
        PythonPeer.run("publish", url, Map.of("declare", declare, "messages", List.of(messages)));
    }

    private void pyDeclare(List<Map<String, Object>> exchangeSpecs, List<Map<String, Object>> queueSpecs) {
        PythonPeer.run("declare", url, Map.of("exchanges", exchangeSpecs, "queues", queueSpecs));
    }

    /** Python consumes up to {@code count} messages of an existing queue; 0 just looks briefly. */
    private List<Map<String, Object>> pyConsume(String queue, int count) {
        return PythonPeer.consume(url, Map.of("queues", List.of(Map.of("name", queue)), "count", Math.max(count, 1),
                "timeout", count == 0 ? 0.3 : 5));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> props(Map<String, Object> m) {
        return (Map<String, Object>) m.get("properties");
    }

    private static List<Object> bodies(List<Map<String, Object>> ms) {
        return ms.stream().map(m -> m.get("body")).toList();
    }

    /**
     * A broker or runtime error as the contract wants it: exit 1, nothing on stdout, one line on stderr;
     * returns that line for further checks.
     */
    private static org.assertj.core.api.AbstractStringAssert<?> assertBrokerError(CliRunner.Result r) {
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        return assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: error: ");
    }
}
