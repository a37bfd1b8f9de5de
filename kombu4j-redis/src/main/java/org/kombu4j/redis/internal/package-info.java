/**
 * Internals of the Redis transport, not API: the RESP2/RESP3 codec ({@link org.kombu4j.redis.internal.RespParser},
 * {@link org.kombu4j.redis.internal.RespWriter}) and the non-blocking connection
 * ({@link org.kombu4j.redis.internal.RedisConnection}, with {@code TlsLayer} for TLS) whose socket lives in a {@link java.nio.channels.Selector}
 * owned by the transport or by a Hub. A connection is driven by one thread at a time; writes may come from any thread.
 */
@NullMarked
package org.kombu4j.redis.internal;

import org.jspecify.annotations.NullMarked;
