package org.kombu4j;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.kombu4j.hub.Ticker;

/**
 * How to retry an operation that failed with an {@link OperationalException}: Kombu's
 * {@code max_retries}, {@code interval_start}, {@code interval_step} and {@code interval_max},
 * plus optional jitter. The delay before retry {@code n} (1-based) is
 * {@code min(intervalStart + (n-1) * intervalStep, intervalMax)}, then spread by ±{@code jitter}.
 *
 * An optional {@code timeout} bounds the whole retry run (Kombu's {@code retry_over_time} timeout):
 * no retry starts whose delay would end past it.
 *
 * <p>Immutable and thread-safe. The sleeper, the clock ({@link Ticker}) and the random source are
 * injectable so tests can check the sequence of delays without sleeping.
 */
public final class RetryPolicy {
    /** Sleeps between attempts; replaced in tests. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** Called before each retry with the failure and the delay about to be slept. */
    @FunctionalInterface
    public interface RetryListener {
        void onRetry(OperationalException error, int attempt, Duration delay);
    }

    /** Never retries. */
    public static final RetryPolicy NONE = builder().maxRetries(0).build();

    /** A short default for publishing: 3 retries after 0.1 s, 0.3 s, 0.5 s (at most 1 s). */
    public static final RetryPolicy DEFAULT = builder().maxRetries(3).intervalStart(Duration.ofMillis(100))
            .intervalStep(Duration.ofMillis(200)).intervalMax(Duration.ofSeconds(1)).build();

    /** Retries forever with Kombu's connection backoff: 2 s, +2 s, at most 30 s. */
    public static final RetryPolicy FOREVER = builder().maxRetries(-1).intervalStart(Duration.ofSeconds(2))
            .intervalStep(Duration.ofSeconds(2)).intervalMax(Duration.ofSeconds(30)).build();

    private final int maxRetries;
    private final Duration intervalStart;
    private final Duration intervalStep;
    private final Duration intervalMax;
    private final double jitter;
    private final Sleeper sleeper;
    private final DoubleSupplier random;
    private final @Nullable Duration timeout;
    private final Ticker ticker;

    private RetryPolicy(Builder b) {
        this.maxRetries = b.maxRetries;
        this.intervalStart = b.intervalStart;
        this.intervalStep = b.intervalStep;
        this.intervalMax = b.intervalMax;
        this.jitter = b.jitter;
        this.sleeper = b.sleeper;
        this.random = b.random;
        this.timeout = b.timeout;
        this.ticker = b.ticker;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxRetries = maxRetries;
        b.intervalStart = intervalStart;
        b.intervalStep = intervalStep;
        b.intervalMax = intervalMax;
        b.jitter = jitter;
        b.sleeper = sleeper;
        b.random = random;
        b.timeout = timeout;
        b.ticker = ticker;
        return b;
    }

    /** Retries after the first attempt; -1 means forever. */
    public int maxRetries() {
        return maxRetries;
    }

    /** The bound on a whole retry run ({@link Builder#timeout}), or null for none. */
    public @Nullable Duration timeout() {
        return timeout;
    }

    /** The delay before retry {@code attempt} (1-based). */
    public Duration delay(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt is 1-based, got " + attempt);
        }
        long start = intervalStart.toNanos();
        long step = intervalStep.toNanos();
        long max = intervalMax.toNanos();
        long nanos;
        // Saturate instead of overflowing for very long retry runs.
        if (step > 0 && attempt - 1 > (max - start) / step) {
            nanos = max;
        } else {
            nanos = Math.min(max, start + (long) (attempt - 1) * step);
        }
        if (jitter > 0) {
            double spread = (random.getAsDouble() * 2 - 1) * jitter;
            nanos = Math.max(0, (long) (nanos * (1 + spread)));
        }
        return Duration.ofNanos(nanos);
    }

    /** Whether retry {@code attempt} (1-based) is allowed. */
    public boolean allows(int attempt) {
        return maxRetries < 0 || attempt <= maxRetries;
    }

    /**
     * Runs {@code operation}, retrying it after each {@link OperationalException} while the policy
     * allows; then rethrows the last failure. Other exceptions pass through at once.
     */
    public <T> T call(Supplier<T> operation, @Nullable RetryListener listener) {
        int attempt = 0;
        long start = ticker.nanoTime();
        while (true) {
            try {
                return operation.get();
            } catch (OperationalException e) {
                attempt++;
                if (!allows(attempt)) {
                    throw e;
                }
                Duration d = delay(attempt);
                if (timeout != null && ticker.nanoTime() - start + d.toNanos() > timeout.toNanos()) {
                    throw e;
                }
                if (listener != null) {
                    listener.onRetry(e, attempt, d);
                }
                sleep(d);
            }
        }
    }

    void sleep(Duration d) {
        if (d.isZero()) {
            return;
        }
        try {
            sleeper.sleep(d);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting to retry", ie);
        }
    }

    @Override
    public String toString() {
        return "RetryPolicy(maxRetries=" + (maxRetries < 0 ? "forever" : maxRetries) + ", start=" + intervalStart
                + ", step=" + intervalStep + ", max=" + intervalMax + ", jitter=" + jitter
                + (timeout == null ? "" : ", timeout=" + timeout) + ")";
    }

    /** Builds a {@link RetryPolicy}; each setter checks its argument at once. */
    public static final class Builder {
        private int maxRetries = 3;
        private Duration intervalStart = Duration.ofMillis(100);
        private Duration intervalStep = Duration.ofMillis(200);
        private Duration intervalMax = Duration.ofSeconds(1);
        private double jitter;
        private Sleeper sleeper = d -> Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
        private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
        private @Nullable Duration timeout;
        private Ticker ticker = Ticker.system();

        private Builder() {
        }

        /** Retries after the first attempt; -1 for forever. */
        public Builder maxRetries(int value) {
            if (value < -1) {
                throw new ConfigurationException("maxRetries must be >= -1 (-1 = forever), got " + value);
            }
            maxRetries = value;
            return this;
        }

        public Builder intervalStart(Duration value) {
            intervalStart = ConfigurationException.requireNonNegative(value, "intervalStart");
            return this;
        }

        public Builder intervalStep(Duration value) {
            intervalStep = ConfigurationException.requireNonNegative(value, "intervalStep");
            return this;
        }

        public Builder intervalMax(Duration value) {
            intervalMax = ConfigurationException.requireNonNegative(value, "intervalMax");
            return this;
        }

        /** Spread each delay uniformly by ±{@code fraction} (0 to 1). */
        public Builder jitter(double fraction) {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new ConfigurationException("jitter must be within 0..1, got " + fraction);
            }
            jitter = fraction;
            return this;
        }

        public Builder sleeper(Sleeper value) {
            sleeper = Objects.requireNonNull(value, "sleeper");
            return this;
        }

        /** Source of uniform numbers in [0, 1) for jitter. */
        public Builder random(DoubleSupplier value) {
            random = Objects.requireNonNull(value, "random");
            return this;
        }

        /** Give up once retrying would run past this long after the first attempt. */
        public Builder timeout(Duration value) {
            Objects.requireNonNull(value, "timeout");
            if (value.isNegative() || value.isZero()) {
                throw new ConfigurationException("timeout must be positive, got " + value);
            }
            timeout = value;
            return this;
        }

        /** The clock the timeout is measured with. */
        public Builder ticker(Ticker value) {
            ticker = Objects.requireNonNull(value, "ticker");
            return this;
        }

        public RetryPolicy build() {
            if (intervalMax.compareTo(intervalStart) < 0) {
                throw new ConfigurationException("intervalMax (" + intervalMax + ") is below intervalStart (" + intervalStart + ")");
            }
            return new RetryPolicy(this);
        }
    }
}
