package org.kombu4j.redis;

import java.time.Duration;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.testkit.brokers.PrivateRedis;

/** Plain RESP2 connections for a test to look at or change what the transport wrote. */
final class RedisAdmin {
    private RedisAdmin() {
    }

    /** A connection to database 0 of {@code redis}. */
    static RedisConnection open(PrivateRedis redis) {
        return RedisConnection.open(new RedisEndpoint("127.0.0.1", redis.port(), null, null, 0, Duration.ofSeconds(2),
                Duration.ofSeconds(5)), false, null);
    }
}
