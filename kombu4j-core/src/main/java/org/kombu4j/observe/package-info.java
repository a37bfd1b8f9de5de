/**
 * Listener hooks: a {@link org.kombu4j.observe.KombuObserver} registered on
 * {@link org.kombu4j.Connection.Builder#observer} hears of every publish, delivery, settlement, handler run and
 * connection loss of that connection. Metrics ({@code kombu4j-micrometer}) and tracing
 * ({@code kombu4j-opentelemetry}) are built on it. With no observer registered the hooks cost one field check.
 */
@org.jspecify.annotations.NullMarked
package org.kombu4j.observe;
