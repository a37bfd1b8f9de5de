package org.kombu4j.bench;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One bench invocation's knobs, validated. Throughput scenarios use {@code messages},
 * {@code bodyBytes} and {@code prefetch}; latency uses {@code rate}, {@code seconds} and
 * {@code queues}; idle uses {@code seconds} and {@code queues}.
 *
 * @param modes which of {@link Mode}'s switches are on
 * @param deadline the hard limit for one measurement; null means derived from the scenario
 */
public record Settings(List<Scenario> scenarios, String url, int messages, int bodyBytes, int prefetch, int queues,
        double rate, double seconds, int repeat, Set<Mode> modes, @Nullable Duration deadline, int concurrency,
        double handlerMs) {
    /** The switches of a bench invocation. */
    public enum Mode {
        /** After the JSON lines, a Markdown table of medians and ratios ({@code --compare}). */
        COMPARE,
        /** Run the peers found for the URL beside kombu4j (off with {@code --no-peers}). */
        PEERS,
        /** Warm each scenario up, unreported, before measuring ({@code --warmup}). */
        WARMUP,
        /** Also run each kombu4j scenario with the Micrometer binder on ({@code --metrics micrometer}). */
        MICROMETER,
        /** latency: publish from a JVM of its own ({@code --publisher-process}; always on for the SQL schemes). */
        PUBLISHER_PROCESS
    }

    public static final int DEFAULT_MESSAGES = 20_000;
    /** The {@code delayed} scenario's default: 1,000 messages due at once. */
    public static final int DEFAULT_DELAYED_MESSAGES = 1_000;
    /** The {@code celery-latency} scenario's default: 1,000 sequential calls. */
    public static final int DEFAULT_CELERY_CALLS = 1_000;
    public static final int DEFAULT_BODY_BYTES = 1024;
    public static final int DEFAULT_PREFETCH = 100;
    public static final int DEFAULT_QUEUES = 1;
    public static final double DEFAULT_RATE = 200;
    public static final double DEFAULT_SECONDS = 10;
    public static final int DEFAULT_REPEAT = 1;
    /** The {@code worker} scenario's handler threads. */
    public static final int DEFAULT_CONCURRENCY = 8;
    /** The {@code worker} scenario's handler time per message. */
    public static final double DEFAULT_HANDLER_MS = 1;

    /** Settings without the {@code worker} scenario's knobs, which take their defaults. */
    public Settings(List<Scenario> scenarios, String url, int messages, int bodyBytes, int prefetch, int queues,
            double rate, double seconds, int repeat, Set<Mode> modes, @Nullable Duration deadline) {
        this(scenarios, url, messages, bodyBytes, prefetch, queues, rate, seconds, repeat, modes, deadline,
                DEFAULT_CONCURRENCY, DEFAULT_HANDLER_MS);
    }

    public Settings {
        Objects.requireNonNull(url, "url");
        scenarios = List.copyOf(scenarios);
        Objects.requireNonNull(modes, "modes");
        modes = modes.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(modes));
        if (scenarios.isEmpty()) {
            throw new IllegalArgumentException("no scenario given");
        }
        check(messages >= 1, "--messages must be >= 1, got " + messages);
        check(bodyBytes >= 0 && bodyBytes <= 64 << 20, "--body-bytes must be 0..67108864, got " + bodyBytes);
        check(prefetch >= 0, "--prefetch must be >= 0 (0 = unlimited), got " + prefetch);
        check(queues >= 1 && queues <= 100_000, "--queues must be 1..100000, got " + queues);
        check(rate > 0 && rate <= 10_000_000, "--rate must be > 0 messages per second, got " + rate);
        check(seconds > 0 && seconds <= 3600, "--seconds must be > 0 and <= 3600, got " + seconds);
        check(repeat >= 1 && repeat <= 100, "--repeat must be 1..100, got " + repeat);
        check(deadline == null || (!deadline.isNegative() && !deadline.isZero()), "--deadline must be positive");
        check(concurrency >= 1 && concurrency <= 10_000, "--concurrency must be 1..10000, got " + concurrency);
        check(handlerMs >= 0 && handlerMs <= 60_000, "--handler-ms must be 0..60000, got " + handlerMs);
    }

    /** Whether {@code --metrics micrometer} asked for metered kombu4j rounds beside the plain ones. */
    public boolean micrometer() {
        return modes.contains(Mode.MICROMETER);
    }

    public boolean compare() {
        return modes.contains(Mode.COMPARE);
    }

    public boolean peers() {
        return modes.contains(Mode.PEERS);
    }

    public boolean warmup() {
        return modes.contains(Mode.WARMUP);
    }

    /**
     * Whether latency publishes from another process: asked for, or a SQL URL, where wake-ups across processes are
     * what the transport must deliver (its consumers are not told by a broker).
     */
    public boolean publisherProcess() {
        return modes.contains(Mode.PUBLISHER_PROCESS) || SqlTarget.isSql(url);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** How many messages the latency scenario publishes: {@code rate × seconds}, at least 1. */
    public int latencyMessages() {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(rate * seconds)));
    }

    /**
     * The hard limit for one measurement of {@code scenario}: the explicit {@code --deadline}, or
     * generous enough for 20,000 msgs/s (200 msgs/s on SQL URLs) plus a minute for throughput, {@code seconds} plus 30 s for
     * latency and idle, the delay plus a minute and 100 msgs/s for delayed.
     */
    public Duration deadlineFor(Scenario scenario) {
        if (deadline != null) {
            return deadline;
        }
        if (scenario == Scenario.DELAYED) {
            // The wait for the due time, plus publishing at 200 msgs/s (a synchronous SQL publish) and consuming.
            return Duration.ofSeconds(60 + messages / 100L).plus(KombuDelayed.delayFor(messages));
        }
        if (scenario == Scenario.WORKER) {
            // The handlers' sleep, as if on one thread, on top of the throughput budget.
            return Duration.ofSeconds(60 + messages / 20_000L).plusMillis((long) (messages * handlerMs / concurrency));
        }
        if (scenario.isCelery()) {
            // Python Celery sends and runs 1-2 thousand tasks a second here, and its worker takes seconds to start;
            // the latency calls are sequential (a few ms each), three systems in the peer's round.
            return Duration.ofSeconds(90 + messages / (scenario == Scenario.CELERY_LATENCY ? 50L : 300L));
        }
        if (scenario.isThroughput()) {
            // A synchronous publish to PostgreSQL is a commit: 345 msgs/s were seen here under load, so 20,000
            // messages need minutes, not the 20,000 msgs/s the general budget assumes.
            return Duration.ofSeconds(60 + messages / (SqlTarget.isSql(url) ? 200L : 20_000L));
        }
        return Duration.ofMillis((long) (seconds * 1000) + 30_000);
    }
}
