package org.kombu4j.testkit.brokers;

import org.kombu4j.testkit.env.TestEnvironment;

/**
 * The shared test Redis at 127.0.0.1:6379. Tests use databases 13-15 only and delete their keys; they
 * never flush or stop it. Unreachable: the test is skipped, or fails with {@code CI=true}.
 */
public final class LocalRedis {
    /** Where the shared Redis listens. */
    public static final String HOST = "127.0.0.1";
    /** Its port. */
    public static final int PORT = 6379;

    private LocalRedis() {
    }

    /** Skips the test (fails it with {@code CI=true}) unless the shared Redis is reachable. */
    public static void require() {
        require(HOST, PORT);
    }

    /** Skips the test (fails it with {@code CI=true}) unless a Redis is reachable at {@code host:port}. */
    public static void require(String host, int port) {
        TestEnvironment.requireListening("Redis", host, port);
    }
}
