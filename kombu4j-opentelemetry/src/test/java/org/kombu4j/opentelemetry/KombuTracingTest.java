package org.kombu4j.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.HandlerFailure;
import org.kombu4j.Message;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/** Producer and consumer spans and the headers between them, Java to Java on {@code memory://}. */
class KombuTracingTest {
    private final String url = "memory://trace" + UUID.randomUUID().toString().substring(0, 8);

    private static SpanData named(List<SpanData> spans, String name) {
        return spans.stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + name + " in " + spans));
    }

    @Test
    void aTraceFollowsTheMessageAndTheReplyTheHandlerSends() {
        try (TracingSupport t = new TracingSupport();
                Connection conn = Connection.builder(url).observer(KombuTracing.create(t.sdk)).build()) {
            Queue requests = Queue.of("requests");
            Queue replies = Queue.of("replies");
            Span root = t.sdk.getTracer("test").spanBuilder("request").startSpan();
            try (Scope ignored = root.makeCurrent()) {
                conn.producer().publish(Map.of("n", 1),
                        PublishOptions.builder().routingKey("requests").declare(requests).declare(replies).build());
            } finally {
                root.end();
            }
            conn.consumer(requests).onMessage((body, m) -> {
                conn.producer().publish("reply", "replies");
                m.ack();
            }).consume();
            Message[] got = new Message[1];
            conn.consumer(replies).onMessage((body, m) -> {
                got[0] = m;
                m.ack();
            }).consume();
            for (int i = 0; i < 20 && got[0] == null; i++) {
                conn.drainEvents(Duration.ofMillis(200));
            }
            Message reply = got[0];
            assertThat(reply).isNotNull();

            List<SpanData> spans = t.spans.getFinishedSpanItems();
            SpanData publish = named(spans, "publish requests");
            SpanData process = named(spans, "process requests");
            SpanData publishReply = named(spans, "publish replies");
            String traceId = root.getSpanContext().getTraceId();
            assertThat(List.of(publish, process, publishReply)).allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(traceId));
            assertThat(publish.getKind()).isEqualTo(SpanKind.PRODUCER);
            assertThat(publish.getParentSpanId()).isEqualTo(root.getSpanContext().getSpanId());
            assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
            assertThat(process.getParentSpanId()).isEqualTo(publish.getSpanId());
            assertThat(publishReply.getParentSpanId()).isEqualTo(process.getSpanId());
            assertThat(publish.getAttributes().get(KombuTracing.SYSTEM)).isEqualTo("memory");
            assertThat(process.getAttributes().get(KombuTracing.DESTINATION)).isEqualTo("requests");
            // The reply carries the W3C header naming the span that published it.
            // (The flags are 01, sampled, or 03 where the SDK also marks the trace id random, W3C level 2.)
            assertThat((String) reply.headers().get("traceparent"))
                    .matches("00-" + traceId + "-" + publishReply.getSpanId() + "-0[13]");
        }
    }

    @Test
    void aFailingHandlerMarksItsSpanAndWithoutHeadersTheSpanIsARoot() {
        try (TracingSupport t = new TracingSupport()) {
            Queue q = Queue.of("untraced");
            try (Connection plain = Connection.open(url)) {
                plain.producer().publish("x", PublishOptions.builder().routingKey("untraced").declare(q).build());
            }
            try (Connection conn = Connection.builder(url).observer(KombuTracing.create(t.sdk)).build()) {
                conn.consumer(q).onHandlerFailure(HandlerFailure.REJECT).onMessage((body, m) -> {
                    throw new IllegalStateException("no");
                }).consume();
                assertThat(conn.drainEvents(Duration.ofSeconds(2))).isTrue();
            }
            SpanData process = named(t.spans.getFinishedSpanItems(), "process untraced");
            assertThat(process.getParentSpanContext().isValid()).isFalse();
            assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(process.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
        }
    }
}
