package org.kombu4j.celery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.PublishOptions;

/** Real Python Celery 5.2 callers, Java worker: every broker x backend combination. */
class CeleryWorkerInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @SuppressWarnings("unchecked")
    private static Map<String, Object> call(String broker, String backend, String queue, String task, String args,
            String kwargs, String... extra) throws Exception {
        return JSON.readValue(PythonCelery.call(broker, backend, queue, task, args, kwargs, extra), Map.class);
    }

    @ParameterizedTest(name = "{0} broker, {1} backend")
    @MethodSource("org.kombu4j.celery.Brokers#combinations")
    void pythonCallsJavaWorker(String brokerName, String backendName) throws Exception {
        String broker = Brokers.url(brokerName);
        String backend = Brokers.backend(backendName);
        String queue = "celery.it." + UUID.randomUUID();
        try (Connection conn = Connection.open(broker);
                ResultBackend results = ResultBackends.open(backend, broker);
                CeleryWorker worker = CeleryWorker.builder(conn, TaskRegistry.of(JavaTasks.class)).backend(results)
                        .queues(List.of(queue)).concurrency(2).build().start()) {
            // the value comes back through Python's AsyncResult.get()
            assertThat(call(broker, backend, queue, "examples.add", "[2, 3]", "{}")).containsEntry("result", 5);
            assertThat(call(broker, backend, queue, "examples.add", "[]", "{\"x\": 40, \"y\": 2}"))
                    .containsEntry("result", 42);
            assertThat(call(broker, backend, queue, "examples.echo", "[1, \"a\"]", "{\"k\": null}"))
                    .containsEntry("result", Map.of("args", List.of(1, "a"), "kwargs", java.util.Collections
                            .singletonMap("k", null)));

            // a failure is raised in Python with its type and message
            assertThat(call(broker, backend, queue, "examples.fail", "[\"boom from java\"]", "{}"))
                    .containsEntry("exc_type", "ValueError").containsEntry("exc_module", "builtins")
                    .containsEntry("exc_message", "boom from java");
            // a Java exception keeps its simple name
            assertThat(call(broker, backend, queue, "examples.javafail", "[\"bad state\"]", "{}"))
                    .containsEntry("exc_type", "IllegalStateException").containsEntry("exc_message", "bad state");
            // arguments that do not fit: a TypeError saying why, and the worker goes on
            Map<String, Object> wrong = call(broker, backend, queue, "examples.add", "[\"a\", 1]", "{}");
            assertThat(wrong).containsEntry("exc_type", "TypeError");
            assertThat((String) wrong.get("exc_message")).contains("argument 'x'").contains("'a'");
            assertThat(call(broker, backend, queue, "examples.add", "[1]", "{}")).containsEntry("exc_type", "TypeError")
                    .containsEntry("exc_message", "examples.add() missing 1 required positional argument: 'y'");

            // a chain of two Java tasks, sent by Python: the worker sends the second with the first's result
            assertThat(call(broker, backend, queue, "chain:examples.add,examples.add", "[2, 3]", "[[10]]"))
                    .containsEntry("result", 15);

            // retry with countdown: two retries a second apart, then the value
            Map<String, Object> retried = call(broker, backend, queue, "examples.flaky", "[2]", "{}");
            assertThat(retried).containsEntry("result", 2);
            assertThat(((Number) retried.get("elapsed")).doubleValue()).isGreaterThanOrEqualTo(1.9);

            // eta (countdown) honoured
            Map<String, Object> late = call(broker, backend, queue, "examples.now", "[]", "{}", "2");
            assertThat(((Number) late.get("elapsed")).doubleValue()).isGreaterThanOrEqualTo(1.95);

            // bad input from a Java caller: an unknown task and a body that is not protocol 2 are rejected,
            // and the worker keeps running
            try (CeleryClient client = new CeleryClient(conn, ResultBackends.open(backend, broker))) {
                TaskOptions onQueue = TaskOptions.builder().queue(queue).build();
                client.send("examples.nope", List.of(), Map.of(), onQueue);
                conn.producer().publish(Map.of("not", "a task"), PublishOptions.builder().exchange(Exchange.DEFAULT)
                        .routingKey(queue).build());
                assertThat(client.send("examples.add", List.of(1, 2), Map.of(), onQueue).get(Duration.ofSeconds(20)))
                        .isEqualTo(3);
                assertThatThrownBy(() -> client.send("examples.fail", List.of("x"), Map.of(), onQueue)
                        .get(Duration.ofSeconds(20))).isInstanceOf(TaskFailedException.class).hasMessageContaining(
                                "ValueError: x");
            }
            assertThat(conn.defaultChannel().declareQueue(Protocol2.queue(queue), false).messageCount()).isZero();
        } finally {
            Brokers.clean(brokerName, queue);
        }
    }
}
