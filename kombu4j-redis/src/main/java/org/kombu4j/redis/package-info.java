/**
 * The Redis transport ({@code redis://}, and {@code rediss://} over TLS), wire-compatible with Python Kombu's: the same lists,
 * binding sets, priority keys, fanout channels and ack-emulation keys (see WIRE.md), so Java and
 * Python programs share queues. Entry points: {@link org.kombu4j.redis.RedisTransportFactory}
 * (found by {@link java.util.ServiceLoader}) and {@link org.kombu4j.redis.RedisTransport}, whose
 * Javadoc describes the connections it opens, how consumers wake without polling and the Redis keys
 * it adds to Kombu's. {@code sentinel://} (Kombu's Sentinel URL list) is the same transport with its master
 * found and followed through Redis Sentinel: {@link org.kombu4j.redis.SentinelTransportFactory}. Thread rules: channels may be used from any thread; deliveries run on the
 * thread calling {@code drainEvents} or on the Hub thread.
 */
@NullMarked
package org.kombu4j.redis;

import org.jspecify.annotations.NullMarked;
