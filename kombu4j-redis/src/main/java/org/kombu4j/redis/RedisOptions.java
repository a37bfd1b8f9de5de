package org.kombu4j.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.transport.TlsOptions;

/**
 * The transport options of a {@code redis://} URL, under Kombu's names and with Kombu's defaults
 * (WIRE.md §7). Unknown names are refused, so a typo does not silently keep a default.
 *
 * @param visibilityTimeout after how long an unacknowledged message is restored ({@code visibility_timeout}, 3600 s)
 * @param prioritySteps the priority steps, ascending ({@code priority_steps}, 0,3,6,9)
 * @param sep the separator in binding members and priority keys ({@code sep}, {@code \x06\x16})
 * @param fanoutPrefix whether fanout channels start with {@code /{db}.} ({@code fanout_prefix}, true)
 * @param fanoutPatterns whether a non-empty routing key is appended to the fanout channel ({@code fanout_patterns}, true)
 * @param globalKeyprefix prepended to every key and fanout channel ({@code global_keyprefix}, "")
 * @param socketTimeout how long a command may wait for its reply ({@code socket_timeout}, 30 s here; none in Kombu)
 * @param socketConnectTimeout how long connecting may take ({@code socket_connect_timeout}, 10 s here)
 * @param healthCheckInterval how often an idle consuming connection is pinged ({@code health_check_interval}, 25 s)
 * @param unackedRestoreInterval how often timed-out unacked messages are looked for ({@code unacked_restore_interval}, 10 s)
 * @param publishPipeline kombu4j's own {@code publish_pipeline}: how many publishes may await their reply
 *     (0, the default, = each publish waits for its own reply; {@code true} = 16). With N &gt; 0,
 *     {@code publish} returns once its command is written and at most N replies are outstanding;
 *     replies are checked as they arrive, and a failed publish (an error reply, a failed
 *     NOSCRIPT retry, a lost connection) is thrown by the channel's next publish or by its
 *     close — never dropped silently. Commands are written in batches of N/2 publishes (one write
 *     for many); a partial batch is written within 1 ms by the transport's flush thread, so a publish
 *     never waits for the next one. Order is kept, on a NOSCRIPT retry too (publishes route in the
 *     client; where the server refuses CLIENT TRACKING they run the publish script, and a
 *     {@code mandatory} publish then waits for its reply).
 * @param tls for {@code rediss://}, the TLS options under redis-py's names ({@code ssl_cert_reqs},
 *     {@code ssl_ca_certs}, {@code ssl_certfile}, {@code ssl_keyfile}, {@code ssl_check_hostname}; see
 *     {@link RedisTransport}); null for {@code redis://}, where those options are refused
 */
public record RedisOptions(Duration visibilityTimeout, List<Integer> prioritySteps, String sep, boolean fanoutPrefix,
        boolean fanoutPatterns, String globalKeyprefix, Duration socketTimeout, Duration socketConnectTimeout,
        Duration healthCheckInterval, Duration unackedRestoreInterval, int publishPipeline, @Nullable TlsOptions tls) {

    static final Set<String> KNOWN = Set.of("visibility_timeout", "priority_steps", "sep", "fanout_prefix",
            "fanout_patterns", "global_keyprefix", "socket_timeout", "socket_connect_timeout", "health_check_interval",
            "unacked_restore_interval", "publish_pipeline", "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile",
            "ssl_keyfile", "ssl_check_hostname");

    /** The depth {@code publish_pipeline=true} means. */
    static final int DEFAULT_PUBLISH_PIPELINE = 16;

    public RedisOptions {
        prioritySteps = List.copyOf(prioritySteps);
    }

    /** Options without TLS or pipelining. */
    public RedisOptions(Duration visibilityTimeout, List<Integer> prioritySteps, String sep, boolean fanoutPrefix,
            boolean fanoutPatterns, String globalKeyprefix, Duration socketTimeout, Duration socketConnectTimeout,
            Duration healthCheckInterval, Duration unackedRestoreInterval) {
        this(visibilityTimeout, prioritySteps, sep, fanoutPrefix, fanoutPatterns, globalKeyprefix, socketTimeout,
                socketConnectTimeout, healthCheckInterval, unackedRestoreInterval, 0, null);
    }

    /** Reads the options of {@code url}. */
    public static RedisOptions from(BrokerUrl url) {
        Map<String, String> o = url.options();
        for (String k : o.keySet()) {
            if (!KNOWN.contains(k)) {
                throw new ConfigurationException("unknown Redis transport option '" + k + "' in " + url.masked()
                        + "; known options: " + new TreeSet<>(KNOWN));
            }
        }
        return new RedisOptions(
                seconds(o, "visibility_timeout", Duration.ofSeconds(3600)),
                steps(o.get("priority_steps")),
                o.getOrDefault("sep", "\u0006\u0016"),
                bool(o, "fanout_prefix", true),
                bool(o, "fanout_patterns", true),
                o.getOrDefault("global_keyprefix", ""),
                seconds(o, "socket_timeout", Duration.ofSeconds(30)),
                seconds(o, "socket_connect_timeout", Duration.ofSeconds(10)),
                seconds(o, "health_check_interval", Duration.ofSeconds(25)),
                seconds(o, "unacked_restore_interval", Duration.ofSeconds(10)),
                pipelineDepth(o.get("publish_pipeline")),
                TlsOptions.from(o, "rediss", url.scheme().equals("rediss"), url.masked()));
    }

    private static int pipelineDepth(@Nullable String v) {
        if (v == null || v.isEmpty()) {
            return 0;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on":
                return DEFAULT_PUBLISH_PIPELINE;
            case "false": case "no": case "off":
                return 0;
            default:
                try {
                    int n = Integer.parseInt(v.trim());
                    if (n < 0 || n > 100_000) {
                        throw new NumberFormatException();
                    }
                    return n;
                } catch (NumberFormatException e) {
                    throw new ConfigurationException("Redis option publish_pipeline='" + v
                            + "' must be true, false or a number of publishes 0..100000");
                }
        }
    }

    private static Duration seconds(Map<String, String> o, String name, Duration dflt) {
        String v = o.get(name);
        if (v == null || v.isEmpty() || v.equalsIgnoreCase("none")) {
            return dflt;
        }
        try {
            double s = Double.parseDouble(v);
            if (s < 0 || Double.isNaN(s) || s > 1e9) {
                throw new NumberFormatException();
            }
            return Duration.ofNanos((long) (s * 1e9));
        } catch (NumberFormatException e) {
            throw new ConfigurationException("Redis option " + name + "='" + v + "' is not a number of seconds >= 0");
        }
    }

    private static boolean bool(Map<String, String> o, String name, boolean dflt) {
        String v = o.get(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true": case "1": case "yes": case "on":
                return true;
            case "false": case "0": case "no": case "off":
                return false;
            default:
                throw new ConfigurationException("Redis option " + name + "='" + v + "' is not true or false");
        }
    }

    private static List<Integer> steps(@Nullable String v) {
        if (v == null || v.isEmpty()) {
            return List.of(0, 3, 6, 9);
        }
        List<Integer> out = new ArrayList<>();
        for (String s : v.replace("[", "").replace("]", "").split(",")) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n < 0 || n > 255) {
                    throw new NumberFormatException();
                }
                if (!out.contains(n)) {
                    out.add(n);
                }
            } catch (NumberFormatException e) {
                throw new ConfigurationException("Redis option priority_steps='" + v + "' must be integers 0..255 separated by commas");
            }
        }
        out.sort(null);
        return out;
    }

    /** The step a priority maps to: the greatest step not above it, after clamping to 0..9 (Kombu's mapping). */
    public int stepFor(int priority) {
        int p = Math.max(0, Math.min(9, priority));
        int step = prioritySteps.get(0);
        for (int s : prioritySteps) {
            if (s <= p) {
                step = s;
            }
        }
        return step;
    }
}
