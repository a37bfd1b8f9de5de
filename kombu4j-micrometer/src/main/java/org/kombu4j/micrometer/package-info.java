/**
 * Micrometer meters for kombu4j: {@link org.kombu4j.micrometer.KombuMetrics} is a
 * {@link org.kombu4j.observe.KombuObserver} and a {@link io.micrometer.core.instrument.binder.MeterBinder}; register
 * it on {@link org.kombu4j.Connection.Builder#observer} and bind it to a registry.
 */
@org.jspecify.annotations.NullMarked
package org.kombu4j.micrometer;
