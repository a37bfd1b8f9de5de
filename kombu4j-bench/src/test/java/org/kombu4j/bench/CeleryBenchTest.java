package org.kombu4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.testkit.brokers.LocalRedis;
import org.kombu4j.testkit.python.PythonKombu;
import org.kombu4j.transport.TransportChannel;

/**
 * The Celery scenarios on the local Redis (db 10 for the broker, db 12 for results) beside real Python Celery 5.2:
 * skipped when Redis or Python Celery is missing, a failure then when {@code CI=true}.
 */
class CeleryBenchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String URL = "redis://127.0.0.1:6379/10";

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

    private static void requireServices() {
        LocalRedis.require();
        PythonKombu.requireModules("celery", "redis");
    }

    private static void assertClean(Result r) {
        assertThat(r.code()).as(r.stderr()).isZero();
        for (JsonNode n : r.lines()) {
            assertThat(n.get("errors").asInt()).as(n.toString()).isZero();
            assertThat(n.get("messages").asInt()).as(n.toString()).isPositive();
            assertThat(n.get("msgs_per_s").asDouble()).as(n.toString()).isPositive();
        }
        List<String> queues = r.lines().stream().filter(n -> n.hasNonNull("celery_queue"))
                .map(n -> n.get("celery_queue").asText()).toList();
        try (Connection conn = Connection.open(URL); TransportChannel ch = conn.channel()) {
            assertThat(ch.listQueues()).noneMatch(q -> queues.contains(q.name()));
        }
    }

    @Test
    void workerRunsBesidePythonCeleryAndEveryTaskIsSettled() throws Exception {
        requireServices();
        Result r = bench("celery-worker", "--url", URL, "--messages", "300", "--concurrency", "2", "--compare");
        assertThat(r.lines()).extracting(n -> n.get("system").asText()).containsExactly("kombu4j", "celery-py");
        JsonNode java = r.lines().get(0);
        assertThat(java.get("missing").asInt()).isZero();
        assertThat(java.get("duplicates").asInt()).isZero();
        assertThat(java.get("prefetch").asInt()).isEqualTo(8); // unset: CeleryWorker's default, 4 x concurrency
        assertThat(r.lines().get(1).get("pool").asText()).isEqualTo("prefork");
        assertThat(r.lines().get(1).get("concurrency").asInt()).isEqualTo(2);
        // Both timed by their own marks: seconds are the worker's, not the Python start-up's.
        assertThat(r.lines().get(1).get("seconds").asDouble()).isLessThan(r.lines().get(1).get("messages").asDouble());
        assertThat(r.stdout()).containsPattern("\\| celery-worker \\| celery-py \\| 1 \\| 0 \\|.*×");
        assertClean(r);
    }

    @Test
    void kombu4jsWorkerTakesThePrefetchGiven() throws Exception {
        requireServices();
        Result r = bench("celery-worker", "--url", URL, "--messages", "200", "--concurrency", "2", "--prefetch", "3",
                "--no-peers");
        assertThat(r.lines()).hasSize(1);
        assertThat(r.lines().get(0).get("prefetch").asInt()).isEqualTo(3);
        assertThat(r.lines().get(0).get("missing").asInt()).isZero();
        assertClean(r);
    }

    @Test
    void sendRunsBesidePythonApplyAsync() throws Exception {
        requireServices();
        Result r = bench("celery-send", "--url", URL, "--messages", "300");
        assertThat(r.lines()).extracting(n -> n.get("system").asText()).containsExactly("kombu4j", "celery-py");
        assertThat(r.lines()).allSatisfy(n -> assertThat(n.get("scenario").asText()).isEqualTo("celery-send"));
        assertClean(r);
    }

    @Test
    void sendAsyncRunsBesidePythonApplyAsyncUntilEveryFutureCompleted() throws Exception {
        requireServices();
        Result r = bench("celery-send-async", "--url", URL, "--messages", "300");
        assertThat(r.lines()).extracting(n -> n.get("system").asText()).containsExactly("kombu4j", "celery-py");
        assertThat(r.lines()).allSatisfy(n -> assertThat(n.get("scenario").asText()).isEqualTo("celery-send-async"));
        assertThat(r.lines().get(0).get("messages").asInt()).isEqualTo(300);
        assertThat(r.lines().get(0).get("errors").asInt()).isZero();
        assertClean(r);
    }

    @Test
    void latencyMeasuresEveryDirectionThroughTheRedisBackend() throws Exception {
        requireServices();
        Result r = bench("celery-latency", "--url", URL, "--messages", "20", "--concurrency", "2");
        assertThat(r.lines()).extracting(n -> n.get("latency_of").asText()).containsExactly(
                "java-client->java-worker", "java-client->py-worker", "py-client->java-worker", "py-client->py-worker");
        for (JsonNode n : r.lines()) {
            assertThat(n.get("messages").asInt()).isEqualTo(20);
            assertThat(n.get("p50_ms").asDouble()).as(n.toString()).isPositive();
            assertThat(n.get("p99_ms").asDouble()).isGreaterThanOrEqualTo(n.get("p50_ms").asDouble());
        }
        assertThat(r.lines().get(0).get("result_backend").asText()).isEqualTo("redis://127.0.0.1:6379/12");
        assertClean(r);
    }

    @Test
    void celeryScenariosAreAskedForByNameAndTheirBackendIsOwnDatabaseOrRpc() {
        assertThat(Scenario.all()).noneMatch(Scenario::isCelery);
        assertThat(Bench.settings(URL, options("celery-latency")).messages()).isEqualTo(Settings.DEFAULT_CELERY_CALLS);
        assertThat(Bench.settings(URL, options("celery-worker")).messages()).isEqualTo(Settings.DEFAULT_MESSAGES);
        assertThat(CeleryBench.backendUrl("redis://:secret@10.0.0.5:6380/3?publish_pipeline=16"))
                .isEqualTo("redis://:secret@10.0.0.5:6380/12");
        assertThat(CeleryBench.backendUrl("amqp://guest:guest@127.0.0.1:5672//")).isEqualTo("rpc://");
        assertThat(CeleryBench.pythonBrokerUrl("redis://127.0.0.1:6379/10?publish_pipeline=16"))
                .isEqualTo("redis://127.0.0.1:6379/10");
        assertThat(new PythonCeleryPeer().supports(Scenario.CELERY_SEND, "memory://")).isFalse();
        assertThat(new PythonCeleryPeer().supports(Scenario.CELERY_SEND_ASYNC, URL)).isTrue();
        assertThat(Scenario.byCliName("celery-send-async")).contains(Scenario.CELERY_SEND_ASYNC);
        assertThat(new PythonCeleryPeer().supports(Scenario.PUBLISH, URL)).isFalse();
        assertThat(new LettucePeer().supports(Scenario.CELERY_SEND, URL)).isFalse();
    }

    private static BenchOptions options(String scenario) {
        BenchOptions o = new BenchOptions();
        o.scenario = scenario;
        return o;
    }
}
