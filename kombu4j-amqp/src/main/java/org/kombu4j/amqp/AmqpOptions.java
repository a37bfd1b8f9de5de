package org.kombu4j.amqp;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;

/**
 * The URL query options of the AMQP transport, parsed and checked before any I/O. Times are given in
 * seconds (decimals allowed) as in Kombu.
 *
 * @param heartbeat the heartbeat the client asks for; zero disables heartbeats
 * @param connectTimeout the TCP connect and AMQP handshake timeout
 * @param confirmPublish whether publishes wait for the broker's publisher confirm
 * @param confirmTimeout how long a publish waits for its confirm
 * @param connectionName the name the broker shows for the connection
 */
record AmqpOptions(Duration heartbeat, Duration connectTimeout, boolean confirmPublish, Duration confirmTimeout,
        String connectionName) {
    static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(60);
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(30);
    static final String DEFAULT_CONNECTION_NAME = "kombu4j";

    private static final Set<String> KNOWN = Set.of("heartbeat", "connect_timeout", "confirm_publish",
            "confirm_timeout", "connection_name");

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
                bool(url, "confirm_publish", true),
                seconds(url, "confirm_timeout", DEFAULT_CONFIRM_TIMEOUT),
                o.getOrDefault("connection_name", DEFAULT_CONNECTION_NAME));
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
