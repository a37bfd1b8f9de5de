package org.kombu4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Message;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.testkit.python.PythonKombu;

/**
 * One trace across Java and real Python Kombu on Redis, both ways. The Python side (interop/trace_peer.py) reads
 * and writes {@code traceparent} in the message headers by hand, as OpenTelemetry's Python Celery instrumentation
 * would: Python's OpenTelemetry packages are not installed on this machine (no Debian package, no PyPI).
 */
class KombuTracingInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SpanData named(List<SpanData> spans, String name) {
        return spans.stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + spans));
    }

    @Test
    void aTraceStartedInJavaContinuesInPythonAndBack() throws Exception {
        PythonKombu.requireModules("kombu", "redis");
        Path peer = PythonKombu.script(KombuTracingInteropTest.class, "/interop/trace_peer.py");
        try (PrivateRedis redis = new PrivateRedis(); TracingSupport t = new TracingSupport();
                Connection conn = Connection.builder(redis.url("")).observer(KombuTracing.create(t.sdk)).build()) {
            Process python = PythonKombu.start(peer, "continue", redis.url(""), "to-python", "to-java");
            Span root = t.sdk.getTracer("test").spanBuilder("java-request").startSpan();
            String traceId = root.getSpanContext().getTraceId();
            try (Scope ignored = root.makeCurrent()) {
                conn.simpleQueue("to-python").put(Map.of("question", 42));
            } finally {
                root.end();
            }
            JsonNode py = JSON.readTree(PythonKombu.finish(python, "trace_peer continue", Duration.ofSeconds(60)));
            assertThat(py.get("trace_id").asText()).as("the trace id Python read").isEqualTo(traceId);
            SpanData publish = named(t.spans.getFinishedSpanItems(), "publish to-python");
            assertThat(py.get("parent_id").asText()).as("Python's parent is the Java producer span")
                    .isEqualTo(publish.getSpanId());

            // Java consumes Python's reply: its consumer span continues the trace under Python's span.
            String[] replyTrace = new String[1];
            conn.consumer(org.kombu4j.Queue.of("to-java", org.kombu4j.Exchange.direct("to-java"), "to-java"))
                    .onMessage((body, m) -> {
                        replyTrace[0] = Span.current().getSpanContext().getTraceId();
                        m.ack();
                    }).consume();
            assertThat(conn.drainEvents(Duration.ofSeconds(10))).isTrue();
            SpanData process = named(t.spans.getFinishedSpanItems(), "process to-java");
            assertThat(process.getTraceId()).isEqualTo(traceId);
            assertThat(process.getParentSpanId()).isEqualTo(py.get("span_id").asText());
            assertThat(replyTrace[0]).as("the trace id current in the Java handler").isEqualTo(traceId);
            assertThat(t.spans.getFinishedSpanItems()).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(traceId));
        }
    }

    @Test
    void aTraceStartedInPythonContinuesInJavaAndBack() throws Exception {
        PythonKombu.requireModules("kombu", "redis");
        Path peer = PythonKombu.script(KombuTracingInteropTest.class, "/interop/trace_peer.py");
        try (PrivateRedis redis = new PrivateRedis(); TracingSupport t = new TracingSupport();
                Connection conn = Connection.builder(redis.url("")).observer(KombuTracing.create(t.sdk)).build()) {
            Process python = PythonKombu.start(peer, "start", redis.url(""), "py-jobs", "py-replies");
            // Java handles the job and replies from inside its handler (the consumer span is current there).
            org.kombu4j.Queue jobs = org.kombu4j.Queue.of("py-jobs", org.kombu4j.Exchange.direct("py-jobs"), "py-jobs");
            conn.consumer(jobs).onMessage((body, m) -> {
                conn.simpleQueue("py-replies").put(Map.of("done", body));
                m.ack();
            }).consume();
            assertThat(conn.drainEvents(Duration.ofSeconds(30))).isTrue();
            JsonNode py = JSON.readTree(PythonKombu.finish(python, "trace_peer start", Duration.ofSeconds(60)));
            String traceId = py.get("trace_id").asText();
            List<SpanData> spans = t.spans.getFinishedSpanItems();
            SpanData process = named(spans, "process py-jobs");
            SpanData reply = named(spans, "publish py-replies");
            assertThat(process.getTraceId()).isEqualTo(traceId);
            assertThat(process.getParentSpanId()).as("Java's consumer span is a child of Python's span")
                    .isEqualTo(py.get("span_id").asText());
            assertThat(reply.getParentSpanId()).isEqualTo(process.getSpanId());
            assertThat(py.get("reply_trace_id").asText()).as("the trace id Python read on the reply").isEqualTo(traceId);
            assertThat(py.get("reply_parent_id").asText()).isEqualTo(reply.getSpanId());
        }
    }
}
