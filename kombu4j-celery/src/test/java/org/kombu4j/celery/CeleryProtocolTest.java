package org.kombu4j.celery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Message;
import org.kombu4j.SimpleQueue;

/** Protocol 2 as captured from Celery 5.2 (WIRE.md §11), argument binding and result layout; no broker needed. */
class CeleryProtocolTest {

    @Test
    void messageHasCeleryHeadersPropertiesAndBody() {
        String queue = "celery.proto." + UUID.randomUUID();
        try (Connection conn = Connection.open("memory://")) {
            CeleryClient client = new CeleryClient(conn, null);
            Instant before = Instant.now();
            AsyncResult r = client.send("examples.add", List.of(2, 3), Map.of("z", 1), TaskOptions.builder()
                    .queue(queue).countdown(Duration.ofSeconds(10)).expires(Duration.ofSeconds(60)).priority(3)
                    .build());
            SimpleQueue q = conn.simpleQueue(queue);
            Message m = q.get(Duration.ofSeconds(5));
            // Celery 5.2's header order, captured from send_task
            assertThat(m.headers().keySet()).containsExactly("lang", "task", "id", "shadow", "eta", "expires",
                    "group", "group_index", "retries", "timelimit", "root_id", "parent_id", "argsrepr", "kwargsrepr",
                    "origin", "ignore_result");
            assertThat(m.headers()).containsEntry("lang", "py").containsEntry("task", "examples.add")
                    .containsEntry("id", r.id()).containsEntry("root_id", r.id()).containsEntry("retries", 0)
                    .containsEntry("timelimit", Arrays.asList(null, null)).containsEntry("argsrepr", "[2, 3]")
                    .containsEntry("kwargsrepr", "{'z': 1}").containsEntry("ignore_result", false);
            assertThat((String) m.headers().get("origin")).matches("gen\\d+@.+");
            Instant eta = TaskRequest.instant(m.headers().get("eta"), "eta");
            assertThat(eta).isBetween(before.plusSeconds(10), Instant.now().plusSeconds(10));
            assertThat((String) m.headers().get("eta")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00");
            assertThat(m.correlationId()).isEqualTo(r.id());
            assertThat(m.contentType()).isEqualTo("application/json");
            // Celery's body; kombu4j's JSON is compact where Python puts spaces, which no JSON reader minds
            assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("[[2,3],{\"z\":1},{\"callbacks\":null,"
                    + "\"errbacks\":null,\"chain\":null,\"chord\":null}]");
            m.ack();
        }
    }

    @Test
    void javaToJavaOnMemoryWithMsgpackAndRpc() {
        String queue = "celery.mem." + UUID.randomUUID();
        try (Connection conn = Connection.open("memory://");
                ResultBackend results = ResultBackends.open("rpc://", "memory://");
                CeleryWorker worker = CeleryWorker.builder(conn, TaskRegistry.of(JavaTasks.class)).backend(results)
                        .queues(List.of(queue)).concurrency(2).build().start();
                Connection callerConn = Connection.open("memory://");
                CeleryClient client = new CeleryClient(callerConn, ResultBackends.open("rpc://", "memory://"))) {
            TaskOptions msgpack = TaskOptions.builder().queue(queue).serializer("msgpack").build();
            assertThat(client.send("examples.add", List.of(20, 22), Map.of(), msgpack).get(Duration.ofSeconds(10)))
                    .isEqualTo(42);
            assertThat(client.chain(List.of(Signature.of("examples.add", 1, 2).onQueue(queue),
                    Signature.of("examples.add", 3).onQueue(queue))).get(Duration.ofSeconds(10))).isEqualTo(6);
        }
    }

    @Test
    void pythonRepr() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", List.of(true, false));
        m.put("b", null);
        m.put("it's", "x\ny");
        assertThat(PythonRepr.of(m)).isEqualTo("{'a': [True, False], 'b': None, \"it's\": 'x\\ny'}");
    }

    public static final class Methods {
        @CeleryTask(name = "t.add")
        public static long add(long x, long y) {
            return x + y;
        }
    }

    @Test
    void argumentsBindAsPythonBindsThem() throws Exception {
        TaskRegistry r = TaskRegistry.of(Methods.class);
        TaskRegistry.TaskFunction add = r.get("t.add").function();
        assertThat(add.call(new TaskCall("i", "t.add", List.of(1), Map.of("y", 2), 0))).isEqualTo(3L);
        assertThatThrownBy(() -> add.call(new TaskCall("i", "t.add", List.of(1, 2, 3), Map.of(), 0)))
                .isInstanceOf(TaskError.class).hasMessage("t.add() takes 2 positional arguments but 3 were given");
        assertThatThrownBy(() -> add.call(new TaskCall("i", "t.add", List.of(1), Map.of("x", 2), 0)))
                .hasMessage("t.add() got multiple values for argument 'x'");
        assertThatThrownBy(() -> add.call(new TaskCall("i", "t.add", List.of(), Map.of("x", 1, "q", 2), 0)))
                .hasMessage("t.add() got an unexpected keyword argument 'q'");
        assertThatThrownBy(() -> add.call(new TaskCall("i", "t.add", List.of(1.5, 2), Map.of(), 0)))
                .hasMessage("t.add() argument 'x' must be long, not float 1.5");
        assertThat(r.get("nope")).isNull();
    }

    @Test
    void failureLayoutIsCeleryS() {
        TaskResult f = TaskResult.failure("id1", TaskResult.FAILURE, TaskError.builtin("ValueError", "boom"));
        Map<String, Object> meta = f.toMeta();
        assertThat(meta.keySet()).containsExactly("status", "result", "traceback", "children", "date_done", "task_id");
        assertThat(meta.get("result")).isEqualTo(Map.of("exc_type", "ValueError", "exc_message", List.of("boom"),
                "exc_module", "builtins"));
        assertThat((String) meta.get("date_done")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}");
        TaskFailedException e = (TaskFailedException) catchThrowable(() -> TaskResult.fromMeta("id1", meta).value());
        assertThat(e.excType()).isEqualTo("ValueError");
        assertThat(e.excMessage()).isEqualTo("boom");
    }

    private static Throwable catchThrowable(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("nothing thrown");
    }
}
