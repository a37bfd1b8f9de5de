/**
 * Building blocks for brokers without AMQP semantics (memory, Redis, SQL), so consumer semantics
 * come out the same on each: consumer bookkeeping ({@link org.kombu4j.transport.virtual.ConsumerRegistry}),
 * exchange routing ({@link org.kombu4j.transport.virtual.ExchangeRouter}), prefetch and
 * unacknowledged-message bookkeeping ({@link org.kombu4j.transport.virtual.QoS}), and
 * {@link org.kombu4j.transport.virtual.VirtualChannel}, an emulated AMQP channel over pluggable
 * storage that never calls the storage holding a lock.
 */
@NullMarked
package org.kombu4j.transport.virtual;

import org.jspecify.annotations.NullMarked;
