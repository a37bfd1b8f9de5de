package org.kombu4j.opentelemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Message;
import org.kombu4j.observe.KombuObserver;
import org.kombu4j.observe.Publication;

/**
 * Traces a connection's messages with OpenTelemetry: register it with
 * {@code Connection.builder(url).observer(KombuTracing.create(openTelemetry))}.
 *
 * <p>Each publish opens a {@link SpanKind#PRODUCER} span, a child of the current context, and writes the trace
 * context with the {@link OpenTelemetry}'s propagator (W3C {@code traceparent} and {@code tracestate} by default)
 * into the message's <em>headers</em> — Kombu's {@code headers}, AMQP's header table, the {@code headers} of the Redis
 * and SQL envelopes — which is where OpenTelemetry's Python Celery instrumentation injects it (in its
 * {@code before_task_publish} handler, into the task message's headers) and where it reads it back. Each handler
 * run opens a {@link SpanKind#CONSUMER} span whose parent is the context extracted from those headers (or the
 * current one if they carry none), and makes it current while the handler runs, so that what the handler publishes
 * continues the trace.
 *
 * <p>Span names follow OpenTelemetry's messaging conventions: {@code publish <exchange>} (the routing key for the
 * default exchange) and {@code process <queue>}.
 */
public final class KombuTracing implements KombuObserver {
    /** The instrumentation scope name spans are recorded under. */
    public static final String INSTRUMENTATION_NAME = "org.kombu4j";

    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> ROUTING_KEY = AttributeKey.stringKey("messaging.rabbitmq.destination.routing_key");
    static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<String> CONVERSATION_ID = AttributeKey.stringKey("messaging.message.conversation_id");

    private static final TextMapSetter<Publication> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.setHeader(key, value);
        }
    };

    private static final TextMapGetter<Message> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Message carrier) {
            return carrier.headers().keySet();
        }

        @Override
        public @Nullable String get(@Nullable Message carrier, String key) {
            if (carrier == null) {
                return null;
            }
            Object v = carrier.headers().get(key);
            if (v == null) {
                return null;
            }
            // AMQP header tables may give a LongString or bytes rather than a String.
            return v instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : v.toString();
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    private KombuTracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer(INSTRUMENTATION_NAME);
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    }

    /** Tracing with {@code openTelemetry}'s tracer provider and text-map propagator. */
    public static KombuTracing create(OpenTelemetry openTelemetry) {
        return new KombuTracing(Objects.requireNonNull(openTelemetry, "openTelemetry"));
    }

    /** A handler run's span and the scope that makes it current. */
    private record Handling(Span span, Scope scope) {
    }

    private static String system(String scheme) {
        return switch (scheme) {
            case "amqp", "amqps", "pyamqp" -> "rabbitmq";
            case "rediss" -> "redis";
            default -> scheme;
        };
    }

    @Override
    public Object publishing(Publication p) {
        Context parent = Context.current();
        String destination = p.exchange().isEmpty() ? p.routingKey() : p.exchange();
        SpanBuilder b = tracer.spanBuilder("publish " + destination).setSpanKind(SpanKind.PRODUCER).setParent(parent)
                .setAttribute(SYSTEM, system(p.connection().url().scheme()))
                .setAttribute(OPERATION, "send")
                .setAttribute(DESTINATION, destination)
                .setAttribute(ROUTING_KEY, p.routingKey())
                .setAttribute(BODY_SIZE, (long) p.bodySize());
        Object correlation = p.properties().get("correlation_id");
        if (correlation != null) {
            b.setAttribute(CONVERSATION_ID, correlation.toString());
        }
        Object id = p.headers().get("id"); // a Celery task id
        if (id != null) {
            b.setAttribute(MESSAGE_ID, id.toString());
        }
        Span span = b.startSpan();
        propagator.inject(parent.with(span), p, SETTER);
        return span;
    }

    @Override
    public void published(Publication publication, @Nullable Object token, @Nullable Throwable error) {
        if (token instanceof Span span) {
            if (error != null) {
                span.recordException(error);
                span.setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
            }
            span.end();
        }
    }

    @Override
    public Object handling(Message message) {
        Context parent = propagator.extract(Context.current(), message, GETTER);
        String queue = message.deliveryInfo().queue();
        SpanBuilder b = tracer.spanBuilder("process " + queue).setSpanKind(SpanKind.CONSUMER).setParent(parent)
                .setAttribute(OPERATION, "process")
                .setAttribute(DESTINATION, queue)
                .setAttribute(ROUTING_KEY, message.deliveryInfo().routingKey())
                .setAttribute(BODY_SIZE, (long) message.rawBody().length);
        String correlation = message.correlationId();
        if (correlation != null) {
            b.setAttribute(CONVERSATION_ID, correlation);
        }
        Object id = message.headers().get("id");
        if (id != null) {
            b.setAttribute(MESSAGE_ID, id.toString());
        }
        Span span = b.startSpan();
        return new Handling(span, parent.with(span).makeCurrent());
    }

    @Override
    public void handled(Message message, @Nullable Object token, long nanos, @Nullable Throwable error) {
        if (token instanceof Handling h) {
            h.scope().close();
            if (error != null) {
                h.span().recordException(error);
                h.span().setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
            }
            h.span().end();
        }
    }

    @Override
    public String toString() {
        return "KombuTracing(" + propagator + ")";
    }
}
