package org.kombu4j.amqp;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.transport.TlsOptions;
import org.kombu4j.transport.UrlOptions;

/**
 * The URL query options of the AMQP transport, parsed and checked before any I/O. Times are given in
 * seconds (decimals allowed) as in Kombu.
 *
 * @param heartbeat the heartbeat the client asks for; zero disables heartbeats
 * @param connectTimeout the TCP connect and AMQP handshake timeout
 * @param confirmMode whether and how publishes use publisher confirms ({@code confirm_publish}:
 *     {@code true} = wait per publish, {@code async} = tracked in a window, {@code false} = none)
 * @param confirmTimeout how long a publish waits for its confirm (async: the longest a confirm may be outstanding)
 * @param confirmWindow async confirms: how many publishes may await their confirm before publish blocks
 * @param connectionName the name the broker shows for the connection
 * @param tls the {@code ssl_*} options of an {@code amqps://} URL; null for a plain connection
 * @param manager where the RabbitMQ management API is ({@code manager_*} options), for listing queues
 */
record AmqpOptions(Duration heartbeat, Duration connectTimeout, ConfirmMode confirmMode, Duration confirmTimeout,
        int confirmWindow, String connectionName, @Nullable TlsOptions tls, Manager manager) {
    /**
     * Kombu's {@code manager_hostname}, {@code manager_port}, {@code manager_userid} and
     * {@code manager_password}; a null field falls back to the connection's host, user or password.
     */
    record Manager(@Nullable String hostname, int port, @Nullable String userid, @Nullable String password) {
        @Override
        public String toString() {
            // A record's generated toString would print the password.
            return "Manager[hostname=" + hostname + ", port=" + port + ", userid=" + userid
                    + ", password=" + (password == null ? null : "***") + "]";
        }
    }

    /** How publishes use publisher confirms. */
    enum ConfirmMode {
        /** Fire-and-forget ({@code confirm_publish=false}), as Kombu's default. */
        OFF,
        /** {@code publish} returns once the broker confirmed that message ({@code confirm_publish=true}, the default). */
        SYNC,
        /** {@code publish} returns once written; confirms are tracked in a bounded window ({@code confirm_publish=async}). */
        ASYNC
    }

    static final int DEFAULT_CONFIRM_WINDOW = 10_000;

    static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(60);
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(30);
    static final String DEFAULT_CONNECTION_NAME = "kombu4j";
    /** The management plugin's HTTP port, Kombu's default for {@code manager_port}. */
    static final int DEFAULT_MANAGER_PORT = 15672;

    /** The longest duration an option takes: a day. */
    private static final Duration MAX_SECONDS = Duration.ofDays(1);

    private static final Set<String> KNOWN = known();

    private static final Map<String, ConfirmMode> CONFIRM_MODES = confirmModes();

    private static Set<String> known() {
        Set<String> k = new java.util.HashSet<>(List.of("heartbeat", "connect_timeout", "confirm_publish",
                "confirm_timeout", "confirm_window", "connection_name", "manager_hostname", "manager_port", "manager_userid",
                "manager_password"));
        k.addAll(TlsOptions.OPTION_NAMES);
        return Set.copyOf(k);
    }

    static AmqpOptions from(BrokerUrl url) {
        UrlOptions o = UrlOptions.of(url, "AMQP", KNOWN);
        return new AmqpOptions(
                o.seconds("heartbeat", DEFAULT_HEARTBEAT, MAX_SECONDS),
                o.seconds("connect_timeout", DEFAULT_CONNECT_TIMEOUT, MAX_SECONDS),
                o.choice("confirm_publish", ConfirmMode.SYNC, CONFIRM_MODES),
                o.seconds("confirm_timeout", DEFAULT_CONFIRM_TIMEOUT, MAX_SECONDS),
                o.integer("confirm_window", DEFAULT_CONFIRM_WINDOW, 1, 1_000_000),
                o.string("connection_name", DEFAULT_CONNECTION_NAME),
                TlsOptions.from(o, "amqps"),
                new Manager(o.string("manager_hostname"), o.integer("manager_port", DEFAULT_MANAGER_PORT, 1, 65535),
                        o.string("manager_userid"), o.string("manager_password")));
    }

    /** Whether publishes wait for the broker's publisher confirm (synchronously or in a window). */
    boolean confirmPublish() {
        return confirmMode != ConfirmMode.OFF;
    }

    /** {@code confirm_publish}: Kombu's boolean, or {@code async}. */
    private static Map<String, ConfirmMode> confirmModes() {
        Map<String, ConfirmMode> m = new LinkedHashMap<>();
        UrlOptions.TRUE_WORDS.forEach(yes -> m.put(yes, ConfirmMode.SYNC));
        UrlOptions.FALSE_WORDS.forEach(no -> m.put(no, ConfirmMode.OFF));
        m.put("async", ConfirmMode.ASYNC);
        return Collections.unmodifiableMap(m);
    }
}
