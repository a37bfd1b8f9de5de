package org.kombu4j.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.transport.TlsOptions;
import org.kombu4j.transport.UrlOptions;

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
 * @param leaseTimeout kombu4j's own {@code lease_timeout} (30 s; 0 = off): how long a message taken by a
 *     kombu4j consumer stays invisible unless the consumer renews it. A live consumer renews what it holds
 *     every third of it, so a slow handler is never redelivered while its consumer lives, and a dead
 *     consumer's messages come back within about twice the lease. The effective lease is the shorter of
 *     this and {@code visibility_timeout}; it applies only to messages kombu4j took (recorded in
 *     {@code _kombu4j.leases}): those Python Kombu holds keep Kombu's {@code visibility_timeout}.
 * @param tls for {@code rediss://}, the TLS options under redis-py's names ({@code ssl_cert_reqs},
 *     {@code ssl_ca_certs}, {@code ssl_certfile}, {@code ssl_keyfile}, {@code ssl_check_hostname}; see
 *     {@link RedisTransport}); null for {@code redis://}, where those options are refused
 */
public record RedisOptions(Duration visibilityTimeout, List<Integer> prioritySteps, String sep, boolean fanoutPrefix,
        boolean fanoutPatterns, String globalKeyprefix, Duration socketTimeout, Duration socketConnectTimeout,
        Duration healthCheckInterval, Duration unackedRestoreInterval, int publishPipeline, @Nullable TlsOptions tls,
        Duration leaseTimeout) {

    static final Set<String> KNOWN = Set.of("visibility_timeout", "priority_steps", "sep", "fanout_prefix",
            "fanout_patterns", "global_keyprefix", "socket_timeout", "socket_connect_timeout", "health_check_interval",
            "unacked_restore_interval", "publish_pipeline", "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile",
            "ssl_keyfile", "ssl_check_hostname", "lease_timeout", "wait_replicas", "wait_timeout");

    /**
     * The default lease: short enough that a dead consumer's messages come back within a minute, long
     * enough that renewals (every 10 s) survive a slow command connection or a long GC pause.
     */
    static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

    /** The longest duration an option takes, so that adding it to a clock reading cannot overflow. */
    private static final Duration MAX_SECONDS = Duration.ofSeconds(1_000_000_000L);

    private static final String PRIORITY_STEPS = "whole numbers from 0 to 255 separated by commas";

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
                socketConnectTimeout, healthCheckInterval, unackedRestoreInterval, 0, null, DEFAULT_LEASE);
    }

    /** Reads the options of {@code url}. */
    public static RedisOptions from(BrokerUrl url) {
        return from(url, Set.of());
    }

    /** Reads the options of {@code url}, accepting (and ignoring) {@code alsoKnown}, read by a wrapping transport. */
    static RedisOptions from(BrokerUrl url, Set<String> alsoKnown) {
        Set<String> known = new java.util.HashSet<>(KNOWN);
        known.addAll(alsoKnown);
        UrlOptions o = UrlOptions.of(url, "Redis", known);
        return new RedisOptions(
                o.seconds("visibility_timeout", Duration.ofSeconds(3600), MAX_SECONDS),
                steps(o),
                o.string("sep", "\u0006\u0016"),
                o.bool("fanout_prefix", true),
                o.bool("fanout_patterns", true),
                o.string("global_keyprefix", ""),
                o.seconds("socket_timeout", Duration.ofSeconds(30), MAX_SECONDS),
                o.seconds("socket_connect_timeout", Duration.ofSeconds(10), MAX_SECONDS),
                o.seconds("health_check_interval", Duration.ofSeconds(25), MAX_SECONDS),
                o.seconds("unacked_restore_interval", Duration.ofSeconds(10), MAX_SECONDS),
                pipelineDepth(o),
                TlsOptions.from(o, "rediss"),
                o.seconds("lease_timeout", DEFAULT_LEASE, MAX_SECONDS));
    }

    /** {@code publish_pipeline}: a depth, or a boolean (true = {@link #DEFAULT_PUBLISH_PIPELINE}). */
    private static int pipelineDepth(UrlOptions o) {
        String v = o.string("publish_pipeline");
        if (v != null) {
            switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "true": case "yes": case "on":
                    return DEFAULT_PUBLISH_PIPELINE;
                case "false": case "no": case "off":
                    return 0;
                default:
                    // A number: "1" is a depth of one, not true.
            }
        }
        try {
            return o.integer("publish_pipeline", 0, 0, 100_000);
        } catch (ConfigurationException e) {
            throw o.invalid("publish_pipeline", "true, false or a number of publishes from 0 to 100000", e);
        }
    }

    private static List<Integer> steps(UrlOptions o) {
        String v = o.string("priority_steps");
        if (v == null || v.isBlank()) {
            return List.of(0, 3, 6, 9);
        }
        List<Integer> out = new ArrayList<>();
        for (String s : v.replace("[", "").replace("]", "").split(",")) {
            int n;
            try {
                n = Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw o.invalid("priority_steps", PRIORITY_STEPS, e);
            }
            if (n < 0 || n > 255) {
                throw o.invalid("priority_steps", PRIORITY_STEPS);
            }
            if (!out.contains(n)) {
                out.add(n);
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * The lease a kombu4j consumer takes messages with, renewed while it lives: the shorter of
     * {@code lease_timeout} and {@code visibility_timeout}; zero when leases are off (then only
     * {@code visibility_timeout} counts, as in Kombu).
     */
    public Duration lease() {
        if (leaseTimeout.isZero()) {
            return Duration.ZERO;
        }
        return leaseTimeout.compareTo(visibilityTimeout) < 0 ? leaseTimeout : visibilityTimeout;
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
