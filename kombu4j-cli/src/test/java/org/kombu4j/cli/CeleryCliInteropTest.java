package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kombu4j.Connection;
import org.kombu4j.celery.AsyncResult;
import org.kombu4j.celery.CeleryClient;
import org.kombu4j.celery.ResultBackends;
import org.kombu4j.celery.TaskOptions;
import org.kombu4j.testkit.brokers.LocalRedis;
import org.kombu4j.testkit.python.PythonKombu;

/**
 * {@code kombu4j celery worker} (a real process, with ExampleTasks from kombu4j-examples) called by real Python
 * Celery 5.2 and by {@code kombu4j celery call}, on Redis with the Redis and the rpc:// backends.
 */
class CeleryCliInteropTest {
    private static final String REDIS = "redis://127.0.0.1:6379/0";
    private static final String TASKS = "org.kombu4j.examples.celery.ExampleTasks";

    @TempDir Path tmp;

    private static final String PY_CALL = String.join("\n",
            "import json, sys",
            "from celery import Celery",
            "broker, backend, queue, task, args = sys.argv[1:6]",
            "app = Celery('caller', broker=broker, backend=backend)",
            "r = app.send_task(task, args=json.loads(args), queue=queue)",
            "try:",
            "    print(json.dumps({'result': r.get(timeout=30)}))",
            "except Exception as e:",
            "    print(json.dumps({'exc_type': type(e).__name__, 'exc_message': str(e)}))",
            "");

    private CliProcess.Started startWorker(CliProcess cli, String queue, String backend) throws Exception {
        CliProcess.Started w = cli.start("--url", REDIS, "celery", "worker", "--tasks", TASKS, "--queues", queue,
                "--concurrency", "2", "--backend", backend);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!w.err().contains(" ready.")) {
            if (!w.process().isAlive() || System.nanoTime() > deadline) {
                w.process().destroyForcibly();
                throw new AssertionError("the worker did not start: " + w.err());
            }
            Thread.sleep(100);
        }
        return w;
    }

    private static String py(String backend, String queue, String task, String args) {
        return PythonKombu.runCode(PY_CALL, Duration.ofSeconds(60), REDIS, backend, queue, task, args).trim();
    }

    @Test
    void workerServesPythonAndCallOnRedisBackend() throws Exception {
        runBoth(REDIS);
    }

    @Test
    void workerServesPythonAndCallOnRpcBackend() throws Exception {
        runBoth("rpc://");
    }

    private void runBoth(String backend) throws Exception {
        LocalRedis.require();
        PythonKombu.requireModules("celery");
        String queue = "celery.cli." + UUID.randomUUID();
        CliProcess cli = new CliProcess(Files.createDirectories(tmp.resolve("home")), tmp);
        CliProcess.Started worker = startWorker(cli, queue, backend);
        try {
            // Python callers
            assertThat(py(backend, queue, "examples.add", "[2, 3]")).isEqualTo("{\"result\": 5}");
            assertThat(py(backend, queue, "examples.echo", "[1, \"x\"]"))
                    .isEqualTo("{\"result\": {\"args\": [1, \"x\"], \"kwargs\": {}}}");
            assertThat(py(backend, queue, "examples.fail", "[\"boom\"]"))
                    .isEqualTo("{\"exc_type\": \"ValueError\", \"exc_message\": \"boom\"}");
            // A task the worker does not know fails at once, as with Celery's worker, rather than never answering.
            assertThat(py(backend, queue, "examples.nosuch", "[1]"))
                    .isEqualTo("{\"exc_type\": \"NotRegistered\", \"exc_message\": \"'examples.nosuch'\"}");

            // kombu4j celery call
            CliRunner.Result ok = CliRunner.run("--url", REDIS, "celery", "call", "examples.add", "--args", "[2, 3]",
                    "--queue", queue, "--backend", backend, "--wait", "20");
            assertThat(ok.status()).as(ok.err()).isZero();
            assertThat(ok.outLines()).hasSize(1);
            assertThat(ok.out()).matches("\\{\"id\":\"[0-9a-f-]{36}\",\"status\":\"SUCCESS\",\"result\":5}\n");

            CliRunner.Result kw = CliRunner.run("--url", REDIS, "celery", "call", "examples.sleep", "--kwargs",
                    "{\"seconds\": 0.1}", "--queue", queue, "--backend", backend, "--wait", "20", "--countdown", "1");
            assertThat(kw.status()).as(kw.err()).isZero();
            assertThat(kw.out()).contains("\"result\":0.1");

            CliRunner.Result failed = CliRunner.run("--url", REDIS, "celery", "call", "examples.fail", "--args",
                    "[\"it broke\"]", "--queue", queue, "--backend", backend, "--wait", "20");
            assertThat(failed.status()).isEqualTo(1);
            assertThat(failed.out()).isEmpty();
            assertThat(failed.errLines()).hasSize(1);
            assertThat(failed.err()).contains("ValueError: it broke");

            CliRunner.Result unknown = CliRunner.run("--url", REDIS, "celery", "call", "examples.nosuch", "--queue", queue,
                    "--backend", backend, "--wait", "20");
            assertThat(unknown.status()).isEqualTo(1);
            assertThat(unknown.errLines()).singleElement().asString().endsWith("FAILURE: NotRegistered: examples.nosuch");

            CliRunner.Result sent = CliRunner.run("--url", REDIS, "celery", "call", "examples.add", "--args", "[1, 1]",
                    "--queue", queue);
            assertThat(sent.status()).as(sent.err()).isZero();
            assertThat(sent.out()).matches("[0-9a-f-]{36}\n");

            // a task still running when SIGTERM comes finishes, its result is stored, and the worker exits 0
            try (Connection conn = Connection.open(REDIS);
                    CeleryClient client = new CeleryClient(conn, ResultBackends.open(backend, REDIS))) {
                AsyncResult slow = client.send("examples.sleep", List.of(2), Map.of(),
                        TaskOptions.builder().queue(queue).build());
                Thread.sleep(1000); // the worker has it by now
                worker.process().destroy();
                CliRunner.Result stopped = worker.await(40);
                assertThat(stopped.status()).as(stopped.err()).isZero();
                assertThat(stopped.err()).contains("stopped");
                assertThat(slow.get(Duration.ofSeconds(30))).isEqualTo(2);
            }
        } finally {
            worker.process().destroyForcibly();
            cleanRedis(queue);
        }
    }

    @Test
    void noResultInTimeExitsOne() {
        LocalRedis.require();
        String queue = "celery.cli.nobody." + UUID.randomUUID();
        try {
            CliRunner.Result r = CliRunner.run("--url", REDIS, "celery", "call", "examples.add", "--args", "[1, 2]",
                    "--queue", queue, "--backend", REDIS, "--wait", "1");
            assertThat(r.status()).isEqualTo(1);
            assertThat(r.errLines()).hasSize(1);
            assertThat(r.err()).contains("no result").contains("within 1 s");
        } finally {
            cleanRedis(queue);
        }
    }

    /** A Redis backend that is down is named (password masked), not reported as a worker that never answered. */
    @Test
    void anUnreachableBackendIsNamed() {
        LocalRedis.require();
        String queue = "celery.cli.nobackend." + UUID.randomUUID();
        try {
            CliRunner.Result r = CliRunner.run("--url", REDIS, "celery", "call", "examples.add", "--args", "[1, 2]",
                    "--queue", queue, "--backend", "redis://:s3cret@127.0.0.1:1/0", "--wait", "1");
            assertThat(r.status()).isEqualTo(1);
            assertThat(r.errLines()).singleElement().asString().contains("no result", "within 1 s",
                    "result backend redis://:***@127.0.0.1:1/0 cannot be reached").doesNotContain("s3cret");
        } finally {
            cleanRedis(queue);
        }
    }

    @Test
    void badUsageExitsTwo() {
        assertThat(CliRunner.run("celery", "call", "examples.add", "--args", "{\"x\": 1}").status()).isEqualTo(2);
        assertThat(CliRunner.run("celery", "call", "examples.add", "--kwargs", "[1]").status()).isEqualTo(2);
        assertThat(CliRunner.run("celery", "call", "examples.add", "--countdown", "soon").status()).isEqualTo(2);
        assertThat(CliRunner.run("celery", "call", "examples.add", "--countdown", "1", "--eta",
                "2030-01-01T00:00:00Z").status()).isEqualTo(2);
        CliRunner.Result r = CliRunner.run("celery", "worker", "--tasks", "org.example.Missing");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("org.example.Missing");
        assertThat(CliRunner.run("celery", "call").status()).isEqualTo(2);
        assertThat(CliRunner.run("celery", "call", "x", "--backend", "mongodb://h/").status()).isEqualTo(2);
    }

    /** Removes the lists and binding of {@code queue} from the shared Redis. */
    static void cleanRedis(String queue) {
        try {
            for (String key : List.of(queue, queue + "\u0006\u00163", queue + "\u0006\u00166", queue + "\u0006\u00169",
                    "_kombu.binding." + queue)) {
                new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "DEL", key).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            }
        } catch (IOException | InterruptedException e) {
            // Best effort.
        }
    }

}
