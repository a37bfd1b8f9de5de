package org.kombu4j.amqp;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.transport.TlsOptions;

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

    private static final Set<String> KNOWN = known();

    private static Set<String> known() {
        Set<String> k = new java.util.HashSet<>(List.of("heartbeat", "connect_timeout", "confirm_publish",
                "confirm_timeout", "confirm_window", "connection_name", "manager_hostname", "manager_port", "manager_userid",
                "manager_password"));
        k.addAll(TlsOptions.OPTION_NAMES);
        return Set.copyOf(k);
    }

    static AmqpOptions from(BrokerUrl url) {
        Map<String, String> o = url.options();
        for (String k : o.keySet()) {
            if (!KNOWN.contains(k)) {
                throw new ConfigurationException("unknown option '" + k + "' in " + url.masked()
                        + ": the AMQP transport knows " + String.join(", ", new java.util.TreeSet<>(KNOWN)));
            }
        }
        return new AmqpOptions(
                seconds(url, "heartbeat", DEFAULT_HEARTBEAT),
                seconds(url, "connect_timeout", DEFAULT_CONNECT_TIMEOUT),
                confirmMode(url),
                seconds(url, "confirm_timeout", DEFAULT_CONFIRM_TIMEOUT),
                window(url),
                o.getOrDefault("connection_name", DEFAULT_CONNECTION_NAME),
                TlsOptions.from(o, "amqps", url.scheme().equals("amqps"), url.masked()),
                new Manager(nonBlank(url, "manager_hostname"), managerPort(url), nonBlank(url, "manager_userid"),
                        nonBlank(url, "manager_password")));
    }

    /** An option's value, or null when absent or empty (Kombu's {@code opt(...) or default}). */
    private static @Nullable String nonBlank(BrokerUrl url, String key) {
        String v = url.option(key);
        return v == null || v.isEmpty() ? null : v;
    }

    private static int managerPort(BrokerUrl url) {
        return intOption(url, "manager_port", DEFAULT_MANAGER_PORT, 1, 65535, "a port number");
    }

    /** An integer option from {@code min} to {@code max}, or {@code dflt} when absent or blank. */
    private static int intOption(BrokerUrl url, String key, int dflt, int min, int max, String what) {
        String v = url.option(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigurationException("option " + key + "='" + v + "' in " + url.masked()
                    + " must be " + what + " from " + min + " to " + max, e);
        }
    }

    /** Whether publishes wait for the broker's publisher confirm (synchronously or in a window). */
    boolean confirmPublish() {
        return confirmMode != ConfirmMode.OFF;
    }

    private static ConfirmMode confirmMode(BrokerUrl url) {
        String v = url.option("confirm_publish");
        if (v != null && v.trim().equalsIgnoreCase("async")) {
            return ConfirmMode.ASYNC;
        }
        try {
            return bool(url, "confirm_publish", true) ? ConfirmMode.SYNC : ConfirmMode.OFF;
        } catch (ConfigurationException e) {
            throw new ConfigurationException("option confirm_publish='" + v + "' in " + url.masked()
                    + " must be true, false or async", e);
        }
    }

    private static int window(BrokerUrl url) {
        return intOption(url, "confirm_window", DEFAULT_CONFIRM_WINDOW, 1, 1_000_000, "a number of messages");
    }

    private static Duration seconds(BrokerUrl url, String key, Duration dflt) {
        String v = url.option(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            double s = Double.parseDouble(v.trim());
            if (s < 0 || Double.isNaN(s) || s > 86_400) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(Math.round(s * 1000));
        } catch (NumberFormatException e) {
            throw new ConfigurationException("option " + key + "='" + v + "' in " + url.masked()
                    + " must be a number of seconds from 0 to 86400", e);
        }
    }

    private static boolean bool(BrokerUrl url, String key, boolean dflt) {
        String v = url.option(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "1": case "true": case "yes": case "on":
                return true;
            case "0": case "false": case "no": case "off":
                return false;
            default:
                throw new ConfigurationException("option " + key + "='" + v + "' in " + url.masked()
                        + " must be true or false");
        }
    }
}
