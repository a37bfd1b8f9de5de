package org.kombu4j.redis;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;

/**
 * The shared test Redis at 127.0.0.1:6379. Tests use databases 12-15 only and delete their keys.
 * When it is unreachable a test is skipped, except with {@code CI=true}, where it fails.
 */
public final class TestRedis {
    public static final String HOST = "127.0.0.1";
    public static final int PORT = 6379;

    private TestRedis() {
    }

    /** A plain (RESP2) connection to database {@code db} of the shared Redis, after {@link #require()}. */
    public static RedisConnection raw(int db) {
        require();
        return RedisConnection.open(new RedisEndpoint(HOST, PORT, null, null, db, Duration.ofSeconds(2), Duration.ofSeconds(5)),
                false, null);
    }

    /** A fresh name for a test's keys: {@code prefix.<8 hex digits>}. */
    public static String uniqueId(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    public static void require() {
        require(HOST, PORT);
    }

    public static void require(String host, int port) {
        boolean up;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            up = true;
        } catch (IOException e) {
            up = false;
        }
        if (!up) {
            String msg = "Redis is not reachable at " + host + ":" + port;
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(msg + " (CI=true: this test must not be skipped)");
            }
            Assumptions.abort(msg);
        }
    }
}
