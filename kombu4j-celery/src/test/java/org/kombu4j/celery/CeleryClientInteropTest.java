package org.kombu4j.celery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kombu4j.Connection;

/** Java caller, real Python Celery 5.2 worker: every broker x backend combination. */
class CeleryClientInteropTest {

    @ParameterizedTest(name = "{0} broker, {1} backend")
    @MethodSource("org.kombu4j.celery.Brokers#combinations")
    void javaCallsPythonWorker(String brokerName, String backendName) throws Exception {
        String broker = Brokers.url(brokerName);
        String backend = Brokers.backend(backendName);
        String queue = "celery.it." + UUID.randomUUID();
        try (PythonCelery.Worker worker = new PythonCelery.Worker(broker, backend, queue, 2);
                Connection conn = Connection.open(broker);
                CeleryClient celery = new CeleryClient(conn, ResultBackends.open(backend, broker))) {
            TaskOptions onQueue = TaskOptions.builder().queue(queue).build();
            Duration wait = Duration.ofSeconds(30);

            // args
            assertThat(celery.send("examples.add", List.of(2, 3), Map.of(), onQueue).get(wait)).isEqualTo(5);
            // kwargs, and both at once through *args/**kwargs
            assertThat(celery.send("examples.add", List.of(), Map.of("x", 40, "y", 2), onQueue).get(wait))
                    .isEqualTo(42);
            assertThat(celery.send("examples.echo", List.of(1, "two"), Map.of("k", List.of(true)), onQueue)
                    .get(wait)).isEqualTo(Map.of("args", List.of(1, "two"), "kwargs", Map.of("k", List.of(true))));

            // countdown: the worker does not run it before its eta
            Instant sent = Instant.now();
            Object ranAt = celery.send("examples.now", List.of(), Map.of(),
                    TaskOptions.builder().queue(queue).countdown(Duration.ofSeconds(2)).build()).get(wait);
            assertThat(((Number) ranAt).doubleValue()).isGreaterThanOrEqualTo(sent.toEpochMilli() / 1000.0 + 1.9);

            // expires in the past: Celery revokes it instead of running it
            AsyncResult expired = celery.send("examples.add", List.of(1, 1), Map.of(),
                    TaskOptions.builder().queue(queue).expires(Instant.now().minusSeconds(5)).build());
            assertThatThrownBy(() -> expired.get(wait)).isInstanceOfSatisfying(TaskFailedException.class,
                    e -> assertThat(e.status()).isEqualTo(TaskResult.REVOKED));

            // a failure surfaces with the Python exception's type, module and message
            assertThatThrownBy(() -> celery.send("examples.fail", List.of("boom from java"), Map.of(), onQueue)
                    .get(wait)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
                        assertThat(e.excType()).isEqualTo("ValueError");
                        assertThat(e.excModule()).isEqualTo("builtins");
                        assertThat(e.excMessage()).isEqualTo("boom from java");
                        assertThat(e.traceback()).contains("ValueError: boom from java");
                    });

            // a chain of two Python tasks: the result of the last
            assertThat(celery.chain(List.of(Signature.of("examples.add", 2, 3).onQueue(queue),
                    Signature.of("examples.add", 10).onQueue(queue))).get(wait)).isEqualTo(15);

            // the future completes without a get
            assertThat(celery.send("examples.add", List.of(20, 22), Map.of(), onQueue).future()
                    .get(30, java.util.concurrent.TimeUnit.SECONDS).value()).isEqualTo(42);
        } finally {
            Brokers.clean(brokerName, queue);
        }
    }
}
