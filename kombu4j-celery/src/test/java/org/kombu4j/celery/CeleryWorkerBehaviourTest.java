package org.kombu4j.celery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.testkit.brokers.LocalRedis;

/** The Java worker's own semantics on Redis (Java on both sides): eta, expires, time limits, retries exhausted. */
class CeleryWorkerBehaviourTest {
    private static final String REDIS = "redis://127.0.0.1:6379/0";

    @Test
    void aNegativeShutdownTimeoutIsRefused() {
        try (Connection conn = Connection.open("memory://celery-beh")) {
            CeleryWorker.Builder b = CeleryWorker.builder(conn, new TaskRegistry());
            assertThatThrownBy(() -> b.shutdownTimeout(Duration.ofSeconds(-1))).isInstanceOf(ConfigurationException.class)
                    .hasMessage("shutdownTimeout must not be negative, got PT-1S");
        }
    }

    @Test
    void etaBeyondTheVisibilityTimeoutRunsOnce() throws Exception {
        LocalRedis.require();
        // Leases of one second: a message held in flight for its eta would be redelivered several times.
        String broker = REDIS + "?visibility_timeout=1&lease_timeout=1";
        String queue = "celery.beh." + UUID.randomUUID();
        AtomicInteger runs = new AtomicInteger();
        TaskRegistry tasks = new TaskRegistry().register("count", call -> runs.incrementAndGet());
        try (Connection conn = Connection.open(broker);
                ResultBackend results = ResultBackends.open(REDIS, broker);
                CeleryWorker worker = CeleryWorker.builder(conn, tasks).backend(results).queues(List.of(queue))
                        .concurrency(2).build().start();
                Connection callerConn = Connection.open(broker);
                CeleryClient client = new CeleryClient(callerConn, ResultBackends.open(REDIS, broker))) {
            Instant sent = Instant.now();
            AsyncResult r = client.send("count", List.of(), Map.of(),
                    TaskOptions.builder().queue(queue).countdown(Duration.ofSeconds(4)).build());
            assertThat(r.get(Duration.ofSeconds(20))).isEqualTo(1);
            assertThat(Duration.between(sent, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(3900));
            Thread.sleep(3000); // a duplicate would show up by now
            assertThat(runs).hasValue(1);
        } finally {
            Brokers.cleanRedis(queue);
        }
    }

    @Test
    void expiresTimeLimitsAndRetriesExhausted() throws Exception {
        LocalRedis.require();
        String queue = "celery.beh." + UUID.randomUUID();
        AtomicInteger expiredRuns = new AtomicInteger();
        TaskRegistry tasks = TaskRegistry.of(JavaTasks.class)
                .register("expiring", call -> expiredRuns.incrementAndGet())
                .register("always.retry", 2, call -> {
                    throw new Retry(Duration.ofMillis(100), TaskError.builtin("KeyError", "gone"));
                })
                .register("spin", call -> {
                    long end = System.nanoTime() + 60_000_000_000L;
                    while (System.nanoTime() < end) {
                        Thread.onSpinWait(); // ignores interrupts: only the hard limit ends it
                    }
                    return "never";
                });
        try (Connection conn = Connection.open(REDIS);
                ResultBackend results = ResultBackends.open(REDIS, REDIS);
                CeleryWorker worker = CeleryWorker.builder(conn, tasks).backend(results).queues(List.of(queue))
                        .concurrency(3).shutdownTimeout(Duration.ofSeconds(1)).build().start();
                Connection callerConn = Connection.open(REDIS);
                CeleryClient client = new CeleryClient(callerConn, ResultBackends.open(REDIS, REDIS))) {
            Duration wait = Duration.ofSeconds(20);
            TaskOptions.Builder on = TaskOptions.builder().queue(queue);

            // expired before it was taken: REVOKED, never run
            AsyncResult expired = client.send("expiring", List.of(), Map.of(),
                    TaskOptions.builder().queue(queue).expires(Instant.now().minusSeconds(1)).build());
            assertThatThrownBy(() -> expired.get(wait)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
                assertThat(e.status()).isEqualTo(TaskResult.REVOKED);
                assertThat(e.excType()).isEqualTo("TaskRevokedError");
                assertThat(e.excMessage()).isEqualTo("expired");
            });
            assertThat(expiredRuns).hasValue(0);

            // soft limit: the sleeping task is interrupted and reports SoftTimeLimitExceeded
            assertThatThrownBy(() -> client.send("examples.sleep", List.of(5), Map.of(),
                    TaskOptions.builder().queue(queue).softTimeLimit(0.5).build()).get(wait))
                    .isInstanceOfSatisfying(TaskFailedException.class,
                            e -> assertThat(e.excType()).isEqualTo("SoftTimeLimitExceeded"));

            // hard limit: a task that ignores interrupts is given up
            Instant start = Instant.now();
            assertThatThrownBy(() -> client.send("spin", List.of(), Map.of(),
                    TaskOptions.builder().queue(queue).timeLimit(1).build()).get(wait))
                    .isInstanceOfSatisfying(TaskFailedException.class,
                            e -> assertThat(e.excType()).isEqualTo("TimeLimitExceeded"));
            assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(10));

            // out of retries: the cause is the failure
            assertThatThrownBy(() -> client.send("always.retry", List.of(), Map.of(), on.build()).get(wait))
                    .isInstanceOfSatisfying(TaskFailedException.class, e -> {
                        assertThat(e.excType()).isEqualTo("KeyError");
                        assertThat(e.excMessage()).isEqualTo("gone");
                    });

            // and the worker goes on
            assertThat(client.send("examples.add", List.of(1, 2), Map.of(), on.build()).get(wait)).isEqualTo(3);
        } finally {
            Brokers.cleanRedis(queue);
        }
    }
}
