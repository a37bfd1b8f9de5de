package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kombu4j.Connection;
import org.kombu4j.celery.AsyncResult;
import org.kombu4j.celery.CeleryClient;
import org.kombu4j.celery.ResultBackends;
import org.kombu4j.celery.TaskOptions;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.brokers.LocalRedis;

/** acks_late: a worker SIGKILLed mid-task leaves the task to the broker, and another worker runs it. */
class CeleryWorkerKillTest {
    private static final String REDIS = "redis://127.0.0.1:6379/0";

    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"redis", "amqp"})
    void killedWorkersTaskRunsOnAnother(String brokerName) throws Exception {
        String broker;
        if (brokerName.equals("redis")) {
            LocalRedis.require();
            broker = REDIS + "?lease_timeout=2"; // a dead worker's message comes back within about 4 s
        } else {
            broker = LocalRabbit.url();
        }
        String queue = "celery.kill." + UUID.randomUUID();
        CliProcess cli = new CliProcess(Files.createDirectories(tmp.resolve("home")), tmp);
        String[] worker = {"--url", broker, "celery", "worker", "--tasks", "org.kombu4j.examples.celery.ExampleTasks",
            "--queues", queue, "--concurrency", "1", "--backend", REDIS};
        CliProcess.Started first = cli.start(worker);
        CliProcess.Started second = null;
        try (Connection conn = Connection.open(broker);
                CeleryClient client = new CeleryClient(conn, ResultBackends.open(REDIS, broker))) {
            awaitReady(first);
            AsyncResult r = client.send("examples.sleep", List.of(3), Map.of(), TaskOptions.builder().queue(queue).build());
            Thread.sleep(1500); // the first worker is in the middle of it
            first.process().destroyForcibly().waitFor(); // SIGKILL
            second = cli.start(worker);
            awaitReady(second);
            assertThat(r.get(Duration.ofSeconds(30))).isEqualTo(3);
        } finally {
            first.process().destroyForcibly();
            if (second != null) {
                second.process().destroyForcibly();
            }
            if (brokerName.equals("amqp")) {
                LocalRabbit.deleteQueuesStartingWith(queue);
            } else {
                CeleryCliInteropTest.cleanRedis(queue);
            }
        }
    }

    private static void awaitReady(CliProcess.Started w) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!w.err().contains(" ready.")) {
            if (!w.process().isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the worker did not start: " + w.err());
            }
            Thread.sleep(100);
        }
    }
}
