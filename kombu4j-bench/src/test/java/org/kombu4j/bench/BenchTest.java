package org.kombu4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.python.PythonKombu;
import org.kombu4j.transport.TransportChannel;

/** Runs every scenario briefly on memory:// through {@link Bench#run}, so that the harness cannot rot. */
class BenchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Result(int code, List<JsonNode> lines, String stdout, String stderr) {
    }

    private static Result bench(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Bench.run(args, o, e);
        }
        String stdout = out.toString(StandardCharsets.UTF_8);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (line.startsWith("{")) {
                lines.add(JSON.readTree(line));
            }
        }
        return new Result(code, lines, stdout, err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void delayedRunsWhereTheTransportDelaysAndIsRefusedInOneLineElsewhere() throws Exception {
        boolean delays;
        try (Connection c = Connection.open("memory://")) {
            delays = c.transport().capabilities().delayedDelivery();
        }
        Result r = bench("delayed", "--url", "memory://", "--messages", "200", "--no-peers");

        if (delays) {
            assertThat(r.code()).as(r.stderr()).isZero();
            assertThat(r.lines()).hasSize(1);
            JsonNode n = r.lines().get(0);
            assertThat(n.get("scenario").asText()).isEqualTo("delayed");
            assertThat(n.get("messages").asInt()).isEqualTo(200);
            assertThat(n.get("received").asInt()).isEqualTo(200);
            assertThat(n.get("early").asInt()).isZero();
            assertThat(n.get("missing").asInt()).isZero();
            assertThat(n.get("duplicates").asInt()).isZero();
            assertThat(n.get("p99_ms").isNumber()).isTrue();
        } else {
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.lines()).isEmpty();
            assertThat(r.stderr().lines()).contains("kombu4j bench: delayed: the memory transport has no delayed "
                    + "delivery (TransportCapabilities.delayedDelivery() is false)");
        }
    }

    @Test
    void delayedIsNotPartOfAllAndDefaultsToAThousandMessages() {
        assertThat(Scenario.all()).doesNotContain(Scenario.DELAYED);
        BenchOptions o = new BenchOptions();
        o.scenario = "delayed";
        assertThat(Bench.settings("memory://", o).messages()).isEqualTo(Settings.DEFAULT_DELAYED_MESSAGES);
        o.scenario = "publish";
        assertThat(Bench.settings("memory://", o).messages()).isEqualTo(Settings.DEFAULT_MESSAGES);
        o.scenario = "delayed";
        o.messages = 5;
        assertThat(Bench.settings("memory://", o).messages()).isEqualTo(5);
    }

    @Test
    void workerRunsItsHandlersConcurrentlyWithinThePrefetch() throws Exception {
        assertThat(Scenario.all()).doesNotContain(Scenario.WORKER);
        Result r = bench("worker", "--url", "memory://", "--messages", "2000", "--concurrency", "4", "--handler-ms", "1",
                "--no-peers");
        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.lines()).singleElement().satisfies(n -> {
            assertThat(n.get("scenario").asText()).isEqualTo("worker");
            assertThat(n.get("received").asInt()).isEqualTo(2000);
            assertThat(n.get("missing").asInt()).isZero();
            assertThat(n.get("duplicates").asInt()).isZero();
            assertThat(n.get("concurrency").asInt()).isEqualTo(4);
            assertThat(n.get("prefetch").asInt()).as("the worker's default, 4 x concurrency").isEqualTo(16);
            assertThat(n.get("max_unacked").asInt()).isBetween(1, 16);
            assertThat(n.get("errors").asInt()).isZero();
        });
        assertThat(bench("worker", "--concurrency", "0").code()).isEqualTo(2);
        assertThat(bench("worker", "--handler-ms", "-1").code()).isEqualTo(2);
    }

    @Test
    void everyScenarioRunsOnMemoryAndCountsEveryMessage() throws Exception {
        Result r = bench("all", "--url", "memory://", "--messages", "3000", "--body-bytes", "256", "--prefetch", "50",
                "--queues", "3", "--rate", "300", "--seconds", "1", "--no-peers", "--compare");

        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.lines()).extracting(n -> n.get("scenario").asText())
                .containsExactly("publish", "publish-async", "publish-batch", "consume-ack", "consume-noack", "roundtrip", "latency", "idle");
        for (JsonNode n : r.lines()) {
            for (String f : Measurement.FIELDS) {
                assertThat(n.has(f)).as("field %s in %s", f, n).isTrue();
            }
            assertThat(n.get("system").asText()).isEqualTo("kombu4j");
            assertThat(n.get("transport").asText()).isEqualTo("memory");
            assertThat(n.get("errors").asInt()).as(n.toString()).isZero();
            assertThat(n.get("missing").asInt()).as(n.toString()).isZero();
            assertThat(n.get("duplicates").asInt()).as(n.toString()).isZero();
            assertThat(n.get("body_bytes").asInt()).isEqualTo(256);
            assertThat(n.get("cpu_s").isNumber()).isTrue();
            String scenario = n.get("scenario").asText();
            switch (scenario) {
                case "idle":
                    assertThat(n.get("messages").asInt()).isZero();
                    assertThat(n.get("msgs_per_s").asDouble()).isZero();
                    assertThat(n.get("queues").asInt()).isEqualTo(3);
                    assertThat(n.get("seconds").asDouble()).isBetween(0.9, 5.0);
                    break;
                case "latency":
                    assertThat(n.get("messages").asInt()).isEqualTo(300);
                    assertThat(n.get("received").asInt()).isEqualTo(300);
                    assertThat(n.get("queues").asInt()).isEqualTo(3);
                    assertThat(n.get("connections").asInt()).isEqualTo(2);
                    assertThat(n.get("msgs_per_s").asDouble()).isPositive();
                    assertThat(n.get("p50_ms").asDouble()).isPositive();
                    assertThat(n.get("p99_ms").asDouble()).isGreaterThanOrEqualTo(n.get("p50_ms").asDouble());
                    assertThat(n.get("max_ms").asDouble()).isGreaterThanOrEqualTo(n.get("p99_ms").asDouble());
                    break;
                default:
                    assertThat(n.get("messages").asInt()).as(scenario).isEqualTo(3000);
                    assertThat(n.get("msgs_per_s").asDouble()).as(scenario).isPositive();
                    assertThat(n.get("cpu_s_per_1k").isNumber()).as(scenario).isTrue();
                    if (scenario.startsWith("consume") || scenario.equals("roundtrip")) {
                        assertThat(n.get("received").asInt()).isEqualTo(3000);
                        assertThat(n.get("prefetch").asInt()).isEqualTo(50);
                        assertThat(n.get("p50_ms").isNull()).isTrue();
                        if (scenario.equals("roundtrip")) {
                            assertThat(n.get("connections").asInt()).isEqualTo(2);
                            // The last publish returns about when the last message is consumed, on another
                            // thread, so either may be read first.
                            assertThat(n.get("publish_seconds").asDouble()).isPositive()
                                    .isLessThanOrEqualTo(n.get("seconds").asDouble() + 0.5);
                        }
                    } else {
                        assertThat(n.get("p50_ms").asDouble()).isPositive();
                    }
            }
        }
        assertThat(r.stdout()).contains("| scenario | system |").contains("| consume-ack | kombu4j | 1 | 0 |");
        assertNoBenchQueuesLeft();
    }

    @Test
    void repeatsAreNumberedRounds() throws Exception {
        Result r = bench("consume-noack", "--messages", "500", "--repeat", "2", "--no-peers");
        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.lines()).extracting(n -> n.get("round").asInt()).containsExactly(1, 2);
    }

    @Test
    void metricsMicrometerRunsAMeteredRoundBesideEachPlainOne() throws Exception {
        Result r = bench("consume-ack", "--messages", "500", "--repeat", "2", "--no-peers", "--metrics", "micrometer",
                "--compare");
        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.lines()).extracting(n -> n.get("system").asText() + "#" + n.get("round").asInt())
                .containsExactly("kombu4j#1", "kombu4j+micrometer#1", "kombu4j#2", "kombu4j+micrometer#2");
        assertThat(r.lines()).allSatisfy(n -> assertThat(n.get("messages").asInt()).isEqualTo(500));
        assertThat(r.stdout()).contains("| kombu4j+micrometer |");
        Result bad = bench("consume-ack", "--metrics", "prometheus");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.stderr().trim()).contains("--metrics must be none or micrometer").doesNotContain("\n");
    }

    @Test
    void badUsageExitsWithTwoAndOneLine() throws Exception {
        Result unknown = bench("fly");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.stderr().trim()).startsWith("kombu4j bench: unknown scenario 'fly'").doesNotContain("\n");
        assertThat(bench("publish", "--messages", "0").code()).isEqualTo(2);
        assertThat(bench("publish", "--messages", "many").code()).isEqualTo(2);
        assertThat(bench("publish", "--url", "nosuch://x").code()).isEqualTo(2);
        assertThat(bench().code()).isEqualTo(2);
        Result help = bench("--help");
        assertThat(help.code()).isZero();
        assertThat(help.stdout()).contains("--messages").contains("--compare");
    }

    @Test
    void refusesAQueueThatAlreadyHoldsMessages() {
        BenchEntities entities = BenchEntities.create(1);
        try (Connection conn = Connection.open("memory://")) {
            entities.declare(conn);
            conn.producer(entities.exchange()).publish(Map.of("seq", 1), entities.queue(0).name());
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> entities.declare(conn)))
                    .isInstanceOf(BenchEntities.RefusedException.class).hasMessageContaining("not created by this run");
        } finally {
            entities.delete("memory://", System.err);
        }
        assertThat(entities.prefix()).startsWith("bench.k4j.");
    }

    @Test
    void peerLinesAreNormalizedToOurFieldNames() throws Exception {
        PythonKombuPeer peer = new PythonKombuPeer(Path.of("."));
        Settings s = new Settings(List.of(Scenario.CONSUME_ACK), "memory://", 5000, 1024, 100, 1, 200, 10, 1,
                Set.of(Settings.Mode.PEERS), null);
        @SuppressWarnings("unchecked")
        Map<String, Object> line = JSON.readValue("{\"system\":\"kombu-py\",\"transport\":\"memory\",\"test\":\"consume_ack\","
                + "\"msgs\":5000,\"seconds\":0.05,\"msgs_per_s\":95926.9,\"cpu_s\":0.052,\"cpu_s_per_1k\":0.0104,"
                + "\"received\":5000,\"missing\":0,\"duplicates\":0,\"prefetch_count\":100,\"body_bytes\":1024,"
                + "\"complete\":true}", Map.class);
        Measurement m = peer.normalize(line, Scenario.CONSUME_ACK, s, 2);
        assertThat(m.asMap()).containsEntry("system", "kombu-py").containsEntry("scenario", "consume-ack")
                .containsEntry("messages", 5000).containsEntry("round", 2).containsEntry("missing", 0)
                .containsEntry("errors", 0).containsEntry("prefetch", 100);
        assertThat(m.number("msgs_per_s")).isEqualTo(95926.9);
        assertThat(PythonKombuPeer.peerUrl("redis://localhost:6379/0")).isEqualTo("redis://127.0.0.1:6379/10");
        assertThat(PythonKombuPeer.peerUrl("redis://elsewhere:6379/10")).isNull();
        assertThat(peer.supports(Scenario.LATENCY, "memory://")).isFalse();
        assertThat(peer.supports(Scenario.PUBLISH_ASYNC, "memory://")).isFalse();
        assertThat(peer.supports(Scenario.CONSUME_NOACK, "memory://")).isTrue();
        assertThat(peer.supports(Scenario.ROUNDTRIP, "memory://")).isTrue();
        assertThat(peer.supports(Scenario.ROUNDTRIP, "redis://localhost:6379/0")).isFalse();
    }

    @Test
    void pythonRoundtripIsDerivedFromItsSequentialPublishAndConsume() throws Exception {
        PythonKombuPeer peer = new PythonKombuPeer(Path.of("."));
        Settings s = new Settings(List.of(Scenario.ROUNDTRIP), "memory://", 5000, 1024, 100, 1, 200, 10, 1,
                Set.of(Settings.Mode.PEERS), null);
        @SuppressWarnings("unchecked")
        Map<String, Object> pub = JSON.readValue("{\"system\":\"kombu-py\",\"transport\":\"memory\",\"test\":\"publish\","
                + "\"msgs\":5000,\"seconds\":0.1,\"cpu_s\":0.1,\"queued\":5000}", Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> ack = JSON.readValue("{\"system\":\"kombu-py\",\"transport\":\"memory\",\"test\":\"consume_ack\","
                + "\"msgs\":5000,\"seconds\":0.15,\"cpu_s\":0.15,\"received\":5000,\"missing\":0,\"duplicates\":0,"
                + "\"prefetch_count\":100,\"complete\":true}", Map.class);
        Measurement m = peer.roundtrip(List.of(pub, ack), s, 1);
        assertThat(m).isNotNull();
        assertThat(m.asMap()).containsEntry("scenario", "roundtrip").containsEntry("errors", 0)
                .containsEntry("missing", 0).containsKey("derived_from");
        assertThat(m.number("msgs_per_s")).isEqualTo(20000.0);
        assertThat(m.number("seconds")).isEqualTo(0.25);
        assertThat(peer.roundtrip(List.of(pub), s, 1)).isNull();
    }

    /** With the bench-peers scripts and Debian's Python Kombu at hand, the peer runs interleaved with kombu4j. */
    @Test
    void pythonKombuRunsInterleavedWhenPresent() throws Exception {
        Optional<Path> dir = Peers.locate(System.getenv(Peers.PEERS_ENV), Path.of("").toAbsolutePath());
        assumeTrue(dir.isPresent(), "bench-peers not found");
        PythonKombu.requireModules("kombu", "redis");

        Result r = bench("publish", "--messages", "2000", "--repeat", "2", "--compare");
        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.lines()).extracting(n -> n.get("system").asText())
                .containsExactly("kombu4j", "kombu-py", "kombu4j", "kombu-py");
        for (JsonNode n : r.lines()) {
            assertThat(n.get("scenario").asText()).isEqualTo("publish");
            assertThat(n.get("messages").asInt()).isEqualTo(2000);
            assertThat(n.get("missing").asInt()).isZero();
            assertThat(n.get("msgs_per_s").asDouble()).isPositive();
        }
        assertThat(r.stdout()).containsPattern("\\| publish \\| kombu-py \\| 2 \\| 0 \\|.*×");
    }

    /**
     * On RabbitMQ at 127.0.0.1:5672 (skipped when unreachable; a failure when {@code CI=true}): async
     * confirms publish beside the raw Java client with and without confirms, every message counted.
     */
    @Test
    void amqpPublishAsyncRunsBesideTheRawClient() throws Exception {
        LocalRabbit.requireBroker();
        Result r = bench("publish-async", "--url", "amqp://guest:guest@127.0.0.1:5672/", "--messages", "2000",
                "--compare");
        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.lines()).extracting(n -> n.get("system").asText())
                .containsExactly("kombu4j", RawAmqpPeer.NAME, RawAmqpPeer.CONFIRMS_NAME);
        for (JsonNode n : r.lines()) {
            assertThat(n.get("transport").asText()).isEqualTo("rabbitmq");
            assertThat(n.get("errors").asInt()).as(n.toString()).isZero();
            assertThat(n.get("missing").asInt()).as(n.toString()).isZero();
            assertThat(n.get("duplicates").asInt()).as(n.toString()).isZero();
            assertThat(n.get("msgs_per_s").asDouble()).isPositive();
        }
        assertThat(r.lines().get(0).get("publish_mode").asText()).isEqualTo("confirm_publish=async");
        assertThat(r.stdout()).containsPattern("\\| publish-async \\| amqp-client \\| 1 \\| 0 \\|.*×");
    }

    /**
     * On RabbitMQ (a failure when {@code CI=true} and it is missing): publish-batch adds the raw client's
     * no-confirms run timed until its queue held every message, never faster than the same run's call clock.
     */
    @Test
    void amqpPublishBatchAddsTheRawClientTimedUntilQueued() throws Exception {
        LocalRabbit.requireBroker();
        Result r = bench("publish-batch", "--url", "amqp://guest:guest@127.0.0.1:5672/", "--messages", "3000",
                "--compare");
        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.lines()).extracting(n -> n.get("system").asText())
                .containsExactly("kombu4j", RawAmqpPeer.NAME, RawAmqpPeer.QUEUED_NAME, RawAmqpPeer.CONFIRMS_NAME);
        JsonNode calls = r.lines().get(1);
        JsonNode queued = r.lines().get(2);
        assertThat(queued.get("errors").asInt()).as(queued.toString()).isZero();
        assertThat(queued.get("missing").asInt()).isZero();
        assertThat(queued.get("seconds").asDouble()).isEqualTo(calls.get("seconds_until_queued").asDouble());
        assertThat(queued.get("seconds").asDouble()).isGreaterThanOrEqualTo(calls.get("seconds").asDouble());
        assertThat(queued.get("msgs_per_s").asDouble()).isPositive()
                .isLessThanOrEqualTo(calls.get("msgs_per_s").asDouble());
        assertThat(r.stdout()).containsPattern("\\| publish-batch \\| amqp-client@queued \\| 1 \\| 0 \\|.*×");
    }

    /**
     * On RabbitMQ (a failure when {@code CI=true} and it is missing): delayed runs the raw client's one-hop delay
     * beside kombu4j's, nothing early or missing on either, and leaves none of its delay queues behind.
     */
    @Test
    void amqpDelayedRunsBesideTheRawClientsOneHopDelay() throws Exception {
        LocalRabbit.requireBroker();
        Result r = bench("delayed", "--url", "amqp://guest:guest@127.0.0.1:5672/", "--messages", "200", "--compare");
        assertThat(r.code()).as(r.stderr()).isZero();
        assertThat(r.lines()).extracting(n -> n.get("system").asText()).containsExactly("kombu4j", RawAmqpPeer.NAME);
        for (JsonNode n : r.lines()) {
            assertThat(n.get("errors").asInt()).as(n.toString()).isZero();
            assertThat(n.get("received").asInt()).as(n.toString()).isEqualTo(200);
            assertThat(n.get("early").asInt()).as(n.toString()).isZero();
            assertThat(n.get("latency_of").asText()).isEqualTo("receipt_after_eta");
            assertThat(n.get("p99_ms").asDouble()).isNotNegative();
        }
        JsonNode raw = r.lines().get(1);
        assertThat(raw.get("delay_queues").asInt()).isPositive();
        String prefix = r.stderr().lines().filter(l -> l.startsWith("[bench] amqp-client delayed #1 on "))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1, l.length() - 1)).findFirst().orElseThrow();
        String queues = LocalRabbit.rabbitmqctl("list_queues", "-q", "name");
        assertThat(queues).as("rabbitmqctl list_queues").isNotNull();
        assertThat(queues.lines().map(String::trim)).noneMatch(q -> q.startsWith(prefix));
        assertThat(r.stdout()).containsPattern("\\| delayed \\| amqp-client \\| 1 \\| 0 \\|.*\\| — \\| [0-9.]+× \\|");
    }

    @Test
    void rawClientUntilQueuedWithoutAQueuedTimeIsAnError() {
        Measurement raw = new Measurement(RawAmqpPeer.NAME, "rabbitmq", "publish-batch").throughput(10, 1_000_000, 0);
        Measurement q = RawAmqpPeer.untilQueued(raw);
        assertThat(q.system()).isEqualTo(RawAmqpPeer.QUEUED_NAME);
        assertThat(q.number("msgs_per_s")).isNull();
        assertThat(q.errors()).isEqualTo(1);
        Measurement ok = RawAmqpPeer.untilQueued(raw.put("seconds_until_queued", 0.5));
        assertThat(ok.errors()).isZero();
        assertThat(ok.number("msgs_per_s")).isEqualTo(20.0);
        assertThat(ok.number("messages")).isEqualTo(10.0);
    }

    private static void assertNoBenchQueuesLeft() {
        try (Connection conn = Connection.open("memory://"); TransportChannel ch = conn.channel()) {
            assertThat(ch.listQueues()).noneMatch(q -> q.name().startsWith(BenchEntities.PREFIX));
        }
    }

    @Test
    void warmupRunsThroughputScenariosUntilTheirMessagesAddUp() {
        PrintStream nowhere = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        for (int[] c : new int[][] {{20_000, 15}, {3_000, 15}, {100_000, 3}, {200_000, 3}, {300_000, 3}, {1_000_000, 3}, {50_000, 6}}) {
            Settings s = new Settings(List.of(Scenario.PUBLISH_ASYNC, Scenario.LATENCY), "memory://", c[0], 1024, 100, 1,
                    200, 10, 1, Set.of(Settings.Mode.WARMUP), null);
            Harness h = new Harness(s, nowhere, nowhere, List.of());
            assertThat(h.warmupRounds(Scenario.PUBLISH_ASYNC)).as("%d messages", c[0]).isEqualTo(c[1]);
            assertThat(h.warmupRounds(Scenario.LATENCY)).as("200 msgs/s for 10 s").isEqualTo(3);
        }
    }
}
