package org.kombu4j.celery;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Thrown by a task to be run again after {@link #countdown()}, as Celery's {@code self.retry(countdown=...)}: the
 * worker re-sends the message with {@code retries} one higher and an {@code eta}, and records state RETRY. Once
 * the task's {@link CeleryTask#maxRetries()} is reached the task fails with the {@link #getCause() cause} (or
 * Celery's {@code MaxRetriesExceededError} when there is none).
 */
public final class Retry extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Duration countdown;
    private final @Nullable Integer maxRetries;

    /** Retry after {@code countdown}, within the task's own {@code maxRetries}. */
    public Retry(Duration countdown, @Nullable Throwable cause) {
        this(countdown, null, cause);
    }

    /** Retry after {@code countdown}; {@code maxRetries} overrides the task's own when not null. */
    public Retry(Duration countdown, @Nullable Integer maxRetries, @Nullable Throwable cause) {
        super("Retry in " + countdown.toMillis() / 1000.0 + "s" + (cause == null ? "" : ": " + cause), cause);
        if (countdown.isNegative()) {
            throw new IllegalArgumentException("countdown must not be negative, got " + countdown);
        }
        this.countdown = countdown;
        this.maxRetries = maxRetries;
    }

    public Duration countdown() {
        return countdown;
    }

    public @Nullable Integer maxRetries() {
        return maxRetries;
    }
}
