package org.kombu4j.celery;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Message;

/**
 * A received protocol-2 task message, read as Celery's worker reads it: the headers say what to run and when, the
 * body is {@code [args, kwargs, embed]}.
 */
public record TaskRequest(String id, String task, List<@Nullable Object> args, Map<String, @Nullable Object> kwargs,
        Map<String, @Nullable Object> embed, Map<String, Object> headers, @Nullable Instant eta,
        @Nullable Instant expires, int retries, @Nullable Double timeLimit, @Nullable Double softTimeLimit,
        @Nullable String replyTo, @Nullable String correlationId, boolean ignoreResult) {

    /** Not a protocol-2 task message; says what is wrong with it. */
    public static final class NotATaskException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        NotATaskException(String message) {
            super(message);
        }
    }

    /** Reads {@code message}; {@link NotATaskException} if it is not a protocol-2 task message. */
    public static TaskRequest parse(Message message, @Nullable Object body) {
        Map<String, Object> h = message.headers();
        Object task = h.get("task");
        Object id = h.get("id");
        if (!(task instanceof String name) || !(id instanceof String taskId)) {
            throw new NotATaskException("not a Celery protocol 2 message: headers 'task' and 'id' are missing"
                    + (h.containsKey("task") || body instanceof Map<?, ?> m && m.containsKey("task")
                            ? " (protocol 1 puts them in the body; only protocol 2 is supported)" : ""));
        }
        if (!(body instanceof List<?> parts) || parts.size() != 3 || !(parts.get(0) instanceof List<?> args)
                || !(parts.get(1) instanceof Map<?, ?> kwargs)
                || !(parts.get(2) == null || parts.get(2) instanceof Map<?, ?>)) {
            throw new NotATaskException("task " + taskId + " (" + name
                    + "): the body is not protocol 2's [args, kwargs, embed]");
        }
        Map<String, @Nullable Object> kw = new LinkedHashMap<>();
        kwargs.forEach((k, v) -> kw.put(String.valueOf(k), v));
        Map<String, @Nullable Object> embed = new LinkedHashMap<>();
        if (parts.get(2) instanceof Map<?, ?> e) {
            e.forEach((k, v) -> embed.put(String.valueOf(k), v));
        }
        Double hard = null;
        Double soft = null;
        if (h.get("timelimit") instanceof List<?> tl && tl.size() == 2) {
            hard = tl.get(0) instanceof Number n ? n.doubleValue() : null;
            soft = tl.get(1) instanceof Number n ? n.doubleValue() : null;
        }
        int retries = h.get("retries") instanceof Number n ? n.intValue() : 0;
        return new TaskRequest(taskId, name, new ArrayList<>(args), kw, embed, h, instant(h.get("eta"), "eta"),
                instant(h.get("expires"), "expires"), retries, hard, soft, message.replyTo(),
                message.correlationId(), Boolean.TRUE.equals(h.get("ignore_result")));
    }

    /** Celery writes ISO-8601, with an offset or (naive) in UTC. */
    static @Nullable Instant instant(@Nullable Object value, String what) {
        if (value == null) {
            return null;
        }
        String s = String.valueOf(value);
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw new NotATaskException("header " + what + " is not an ISO-8601 time: " + s);
            }
        }
    }
}
