package org.kombu4j.redis;

import java.time.Duration;
import java.util.UUID;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.testkit.brokers.LocalRedis;
import org.kombu4j.testkit.brokers.PrivateRedis;

/**
 * The Redis side of the testkit's brokers: the shared test Redis at 127.0.0.1:6379 ({@link LocalRedis};
 * tests use databases 12-15 only and delete their keys) and plain RESP2 connections, made with the
 * transport's own client, to it or to a {@link PrivateRedis}. When the shared Redis is unreachable a
 * test is skipped, except with {@code CI=true}, where it fails.
 */
public final class TestRedis {
    public static final String HOST = LocalRedis.HOST;
    public static final int PORT = LocalRedis.PORT;

    private TestRedis() {
    }

    /** A plain (RESP2) connection to database {@code db} of the shared Redis, after {@link #require()}. */
    public static RedisConnection raw(int db) {
        require();
        return open(HOST, PORT, db);
    }

    /** A plain (RESP2) connection to database 0 of {@code redis}, for a test to look at or change what the transport wrote. */
    static RedisConnection admin(PrivateRedis redis) {
        return open("127.0.0.1", redis.port(), 0);
    }

    private static RedisConnection open(String host, int port, int db) {
        return RedisConnection.open(new RedisEndpoint(host, port, null, null, db, Duration.ofSeconds(2), Duration.ofSeconds(5)),
                false, null);
    }

    /** A fresh name for a test's keys: {@code prefix.<8 hex digits>}. */
    public static String uniqueId(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    public static void require() {
        LocalRedis.require();
    }

    public static void require(String host, int port) {
        LocalRedis.require(host, port);
    }
}
