package org.kombu4j.redis.internal;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.transport.TlsOptions;

/**
 * Where and how to connect: address, credentials ({@code AUTH pass} or ACL {@code AUTH user pass}),
 * database ({@code SELECT}), connect timeout (which also bounds the TLS handshake), the timeout of
 * synchronous commands, and TLS ({@code rediss://}) when {@code tls} is not null.
 */
public record RedisEndpoint(String host, int port, @Nullable String user, @Nullable String password, int db,
        Duration connectTimeout, Duration commandTimeout, @Nullable TlsOptions tls) {
    public RedisEndpoint {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
    }

    /** A plain (non-TLS) endpoint. */
    public RedisEndpoint(String host, int port, @Nullable String user, @Nullable String password, int db,
            Duration connectTimeout, Duration commandTimeout) {
        this(host, port, user, password, db, connectTimeout, commandTimeout, null);
    }

    @Override
    public String toString() {
        return (tls != null ? "rediss://" : "redis://")
                + (user != null ? user + (password != null ? ":***" : "") + "@" : password != null ? ":***@" : "")
                + host + ":" + port + "/" + db;
    }
}
