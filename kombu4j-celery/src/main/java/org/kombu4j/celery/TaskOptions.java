package org.kombu4j.celery;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;

/**
 * Celery's {@code apply_async} options: queue, countdown or eta, expires, priority, time limits, extra headers and
 * a task id of one's own. Immutable; {@link #builder()}, or {@link #NONE} for Celery's defaults (queue
 * {@code celery}).
 */
public final class TaskOptions {
    /** Celery's defaults. */
    public static final TaskOptions NONE = builder().build();
    /** Celery's default queue. */
    public static final String DEFAULT_QUEUE = "celery";

    final String queue;
    final @Nullable Duration countdown;
    final @Nullable Instant eta;
    final @Nullable Instant expires;
    final @Nullable Duration expiresIn;
    final @Nullable Integer priority;
    final @Nullable Double timeLimit;
    final @Nullable Double softTimeLimit;
    final @Nullable String taskId;
    final boolean ignoreResult;
    final Map<String, Object> headers;
    final List<Signature> links;
    final List<Signature> linkErrors;
    final @Nullable List<Signature> chain;
    final @Nullable Signature chord;
    final String serializer;

    private TaskOptions(Builder b) {
        queue = b.queue;
        countdown = b.countdown;
        eta = b.eta;
        expires = b.expires;
        expiresIn = b.expiresIn;
        priority = b.priority;
        timeLimit = b.timeLimit;
        softTimeLimit = b.softTimeLimit;
        taskId = b.taskId;
        ignoreResult = b.ignoreResult;
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        links = List.copyOf(b.links);
        linkErrors = List.copyOf(b.linkErrors);
        chain = b.chain == null ? null : List.copyOf(b.chain);
        chord = b.chord;
        serializer = b.serializer;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String queue() {
        return queue;
    }

    public static final class Builder {
        private String queue = DEFAULT_QUEUE;
        private @Nullable Duration countdown;
        private @Nullable Instant eta;
        private @Nullable Instant expires;
        private @Nullable Duration expiresIn;
        private @Nullable Integer priority;
        private @Nullable Double timeLimit;
        private @Nullable Double softTimeLimit;
        private @Nullable String taskId;
        private boolean ignoreResult;
        private final Map<String, Object> headers = new LinkedHashMap<>();
        private final List<Signature> links = new ArrayList<>();
        private final List<Signature> linkErrors = new ArrayList<>();
        private @Nullable List<Signature> chain;
        private @Nullable Signature chord;
        private String serializer = "json";

        private Builder() {
        }

        /** The queue to send to (Celery routes it through the default exchange with the queue's name as key). */
        public Builder queue(String value) {
            if (Objects.requireNonNull(value, "queue").isEmpty()) {
                throw new ConfigurationException("queue must not be empty");
            }
            queue = value;
            return this;
        }

        /** Run no earlier than {@code value} from now (the {@code eta} header). Replaces an {@link #eta}. */
        public Builder countdown(Duration value) {
            if (Objects.requireNonNull(value, "countdown").isNegative()) {
                throw new ConfigurationException("countdown must not be negative, got " + value);
            }
            countdown = value;
            eta = null;
            return this;
        }

        /** Run no earlier than {@code value}. Replaces a {@link #countdown}. */
        public Builder eta(Instant value) {
            eta = Objects.requireNonNull(value, "eta");
            countdown = null;
            return this;
        }

        /** The task is revoked if it has not started {@code value} from now. */
        public Builder expires(Duration value) {
            if (Objects.requireNonNull(value, "expires").isNegative()) {
                throw new ConfigurationException("expires must not be negative, got " + value);
            }
            expiresIn = value;
            expires = null;
            return this;
        }

        /** The task is revoked if it has not started by {@code value}. */
        public Builder expires(Instant value) {
            expires = Objects.requireNonNull(value, "expires");
            expiresIn = null;
            return this;
        }

        /** The message priority, as the transport understands it (0-9 on Redis, lower first; AMQP higher first). */
        public Builder priority(int value) {
            if (value < 0 || value > 255) {
                throw new ConfigurationException("priority must be within 0..255, got " + value);
            }
            priority = value;
            return this;
        }

        /** Hard time limit in seconds (the first element of the {@code timelimit} header). */
        public Builder timeLimit(double seconds) {
            timeLimit = positive("timeLimit", seconds);
            return this;
        }

        /** Soft time limit in seconds (the second element of the {@code timelimit} header). */
        public Builder softTimeLimit(double seconds) {
            softTimeLimit = positive("softTimeLimit", seconds);
            return this;
        }

        /** The task id to use instead of a new UUID. */
        public Builder taskId(String value) {
            taskId = Objects.requireNonNull(value, "taskId");
            return this;
        }

        /** Ask the worker not to store the result. */
        public Builder ignoreResult(boolean value) {
            ignoreResult = value;
            return this;
        }

        /** An extra message header (Celery copies unknown headers into the task request). */
        public Builder header(String key, @Nullable Object value) {
            headers.put(Objects.requireNonNull(key, "key"), value);
            return this;
        }

        /** The body's serializer: {@code json} (Celery's default) or {@code msgpack}. */
        public Builder serializer(String value) {
            if (!value.equals("json") && !value.equals("msgpack")) {
                throw new ConfigurationException("Celery task serializer must be json or msgpack, got '" + value + "'");
            }
            serializer = value;
            return this;
        }

        /** Celery's {@code link}: called with this task's result once it succeeds. */
        public Builder link(Signature callback) {
            links.add(Objects.requireNonNull(callback, "callback"));
            return this;
        }

        /** Celery's {@code link_error}: called with this task's id if it fails. */
        public Builder linkError(Signature errback) {
            linkErrors.add(Objects.requireNonNull(errback, "errback"));
            return this;
        }

        /** The rest of a chain, next step last (Celery's order); set by {@link CeleryClient#chain}. */
        Builder chain(@Nullable List<Signature> value) {
            chain = value;
            return this;
        }

        /** The chord body this header task counts towards (Celery's embedded {@code chord}); set by {@link CeleryClient#chord}. */
        Builder chord(@Nullable Signature body) {
            chord = body;
            return this;
        }

        public TaskOptions build() {
            return new TaskOptions(this);
        }

        private static double positive(String what, double v) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new ConfigurationException(what + " must be a positive number of seconds, got " + v);
            }
            return v;
        }
    }
}
