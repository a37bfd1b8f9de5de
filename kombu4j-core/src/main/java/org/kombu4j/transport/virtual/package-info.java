/**
 * Building blocks for brokers without AMQP semantics (memory, Redis, SQL): exchange routing,
 * prefetch and unacknowledged-message bookkeeping, and {@link org.kombu4j.transport.virtual.VirtualChannel}, an
 * emulated AMQP channel over pluggable storage.
 */
@NullMarked
package org.kombu4j.transport.virtual;

import org.jspecify.annotations.NullMarked;
