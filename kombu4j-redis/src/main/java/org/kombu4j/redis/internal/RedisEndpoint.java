package org.kombu4j.redis.internal;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where and how to connect: address, credentials ({@code AUTH pass} or ACL {@code AUTH user pass}),
 * database ({@code SELECT}), connect timeout and the timeout of synchronous commands.
 */
public record RedisEndpoint(String host, int port, @Nullable String user, @Nullable String password, int db,
        Duration connectTimeout, Duration commandTimeout) {
    public RedisEndpoint {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
    }

    @Override
    public String toString() {
        return "redis://" + (user != null ? user + (password != null ? ":***" : "") + "@" : password != null ? ":***@" : "")
                + host + ":" + port + "/" + db;
    }
}
