package org.kombu4j.celery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;

/**
 * Groups and chords on Redis with Celery's Redis result backend, against real Python Celery 5.2: the chord's parts
 * are counted in {@code celery-taskset-meta-<group>.j/.s}, by whichever worker runs the header.
 */
class ChordInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String BACKEND = Brokers.backend("redis");

    private static Signature add(String queue, int x, int y) {
        return Signature.of("examples.add", x, y).onQueue(queue);
    }

    /** Java sends; Python's worker runs the header, counts the parts (its on_chord_part_return) and sends the body. */
    @Test
    void javaSendsGroupAndChordToPythonWorker() {
        String broker = Brokers.url("redis");
        String queue = "celery.it." + UUID.randomUUID();
        try (PythonCelery.Worker worker = new PythonCelery.Worker(broker, BACKEND, queue, 2);
                Connection conn = Connection.open(broker);
                CeleryClient celery = new CeleryClient(conn, ResultBackends.open(BACKEND, broker))) {
            GroupResult g = celery.group(List.of(add(queue, 1, 2), add(queue, 3, 4), add(queue, 5, 6)));
            assertThat(g.get(WAIT)).containsExactly(3, 7, 11);

            AsyncResult body = celery.chord(List.of(add(queue, 1, 2), add(queue, 3, 4), add(queue, 5, 6)),
                    Signature.of("examples.echo").onQueue(queue));
            assertThat(body.get(WAIT)).isEqualTo(Map.of("args", List.of(List.of(3, 7, 11)), "kwargs", Map.of()));
        } finally {
            Brokers.clean("redis", queue);
        }
    }

    /** Java sends and runs everything: the Java worker counts the parts and sends the body, or fails it. */
    @Test
    void javaWorkerCompletesChordsAndFailsThemWithChordError() {
        String broker = Brokers.url("redis");
        String queue = "celery.it." + UUID.randomUUID();
        try (Connection conn = Connection.open(broker);
                ResultBackend results = ResultBackends.open(BACKEND, broker);
                CeleryWorker worker = CeleryWorker.builder(conn, TaskRegistry.of(JavaTasks.class)).backend(results)
                        .queues(List.of(queue)).concurrency(4).build().start();
                Connection callerConn = Connection.open(broker);
                CeleryClient celery = new CeleryClient(callerConn, ResultBackends.open(BACKEND, broker))) {
            List<Signature> header = new java.util.ArrayList<>();
            for (int i = 0; i < 10; i++) {
                header.add(add(queue, i, 100));
            }
            Object echoed = celery.chord(header, Signature.of("examples.echo", "tail").onQueue(queue)).get(WAIT);
            assertThat(echoed).isEqualTo(Map.of("args", List.of(
                    List.of(100, 101, 102, 103, 104, 105, 106, 107, 108, 109), "tail"), "kwargs", Map.of()));

            AsyncResult failed = celery.chord(List.of(add(queue, 1, 1),
                    Signature.of("examples.fail", "boom in header").onQueue(queue)), Signature.of("examples.echo").onQueue(queue));
            assertThatThrownBy(() -> failed.get(WAIT)).isInstanceOfSatisfying(TaskFailedException.class, e -> {
                assertThat(e.excType()).isEqualTo("ChordError");
                assertThat(e.excMessage()).contains("raised ValueError('boom in header')");
            });
        } finally {
            Brokers.clean("redis", queue);
        }
    }

    /** Python sends a chord (its set_chord_size); the Java worker runs the header and the body. */
    @Test
    void pythonSendsChordToJavaWorker() throws Exception {
        String broker = Brokers.url("redis");
        String queue = "celery.it." + UUID.randomUUID();
        try (Connection conn = Connection.open(broker);
                ResultBackend results = ResultBackends.open(BACKEND, broker);
                CeleryWorker worker = CeleryWorker.builder(conn, TaskRegistry.of(JavaTasks.class)).backend(results)
                        .queues(List.of(queue)).concurrency(2).build().start()) {
            String out = PythonCelery.call(broker, BACKEND, queue, "chord:examples.add,examples.add>examples.echo",
                    "[[1, 2], [30, 40]]", "{}");
            Map<?, ?> line = new ObjectMapper().readValue(out, Map.class);
            assertThat(line.get("result")).as(out).isEqualTo(Map.of("args", List.of(List.of(3, 70)), "kwargs", Map.of()));
        } finally {
            Brokers.clean("redis", queue);
        }
    }
}
