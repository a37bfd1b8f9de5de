/**
 * The AMQP 0-9-1 transport ({@code amqp://}, {@code amqps://} and Kombu's alias {@code pyamqp://}),
 * built on the RabbitMQ Java client and wire-compatible with Kombu's {@code pyamqp} transport
 * (WIRE.md §10). {@link org.kombu4j.amqp.AmqpTransportFactory} registers it through
 * {@link java.util.ServiceLoader}; {@link org.kombu4j.amqp.AmqpTransport} documents the URL options
 * (including the {@code ssl_*} TLS options of {@code amqps://}),
 * the publisher-confirm semantics and why the client's automatic recovery is off. Each kombu4j
 * channel is one AMQP channel; deliveries are handed from the client's threads to the thread calling
 * {@code drainEvents} or to the hub thread, never run on the client's threads.
 */
@NullMarked
package org.kombu4j.amqp;

import org.jspecify.annotations.NullMarked;
