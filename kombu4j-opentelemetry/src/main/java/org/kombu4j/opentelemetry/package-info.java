/**
 * OpenTelemetry tracing for kombu4j: {@link org.kombu4j.opentelemetry.KombuTracing} is a
 * {@link org.kombu4j.observe.KombuObserver} that opens a producer span per publish and writes the W3C trace context
 * ({@code traceparent}, {@code tracestate}) into the message's headers, and opens a consumer span per handler run
 * whose parent is the context read back from those headers — where OpenTelemetry's Python Celery instrumentation
 * writes and reads it, so a trace crosses between Java and Python.
 */
@org.jspecify.annotations.NullMarked
package org.kombu4j.opentelemetry;
