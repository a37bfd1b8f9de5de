package org.kombu4j.celery;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A task call to make later, Celery's {@code signature}: a step of a {@link CeleryClient#chain chain}, or a
 * {@link TaskOptions.Builder#link link} / {@link TaskOptions.Builder#linkError link_error} callback. Unless
 * {@link #immutable()}, the previous task's result is put in front of its arguments, as Celery does.
 */
public record Signature(String task, List<@Nullable Object> args, Map<String, @Nullable Object> kwargs,
        Map<String, @Nullable Object> options, boolean immutable) {
    public Signature {
        Objects.requireNonNull(task, "task");
        args = new ArrayList<>(args);
        kwargs = new LinkedHashMap<>(kwargs);
        options = new LinkedHashMap<>(options);
    }

    /** {@code task(*args, **kwargs)} on the default queue. */
    public static Signature of(String task, List<?> args, Map<String, ?> kwargs) {
        return new Signature(task, new ArrayList<>(args), new LinkedHashMap<>(kwargs), Map.of(), false);
    }

    /** {@code task(*args)} on the default queue. */
    public static Signature of(String task, Object... args) {
        return of(task, List.of(args), Map.of());
    }

    /** The same call sent to {@code queue}. */
    public Signature onQueue(String queue) {
        return withOption("queue", queue);
    }

    /** The same call, not given the previous result (Celery's {@code .si()}). */
    public Signature asImmutable() {
        return new Signature(task, args, kwargs, options, true);
    }

    Signature withOption(String key, @Nullable Object value) {
        Map<String, @Nullable Object> o = new LinkedHashMap<>(options);
        o.put(key, value);
        return new Signature(task, args, kwargs, o, immutable);
    }

    /** The options of this call as {@link TaskOptions} (queue, task_id, countdown, expires, priority). */
    TaskOptions.Builder taskOptions() {
        TaskOptions.Builder b = TaskOptions.builder();
        if (options.get("queue") instanceof String q && !q.isEmpty()) {
            b.queue(q);
        }
        if (options.get("task_id") instanceof String id) {
            b.taskId(id);
        }
        if (options.get("countdown") instanceof Number n && n.doubleValue() > 0) {
            b.countdown(java.time.Duration.ofMillis(Math.round(n.doubleValue() * 1000)));
        }
        if (options.get("expires") instanceof Number n) {
            b.expires(java.time.Duration.ofMillis(Math.max(0, Math.round(n.doubleValue() * 1000))));
        }
        if (options.get("priority") instanceof Number n) {
            b.priority(n.intValue());
        }
        return b;
    }

    /** The {@code reply_to} this call's result goes to (the rpc:// backend's queue), if one was set. */
    @Nullable String replyTo() {
        return options.get("reply_to") instanceof String r ? r : null;
    }

    /** Celery's dict form, as it travels in the {@code callbacks}, {@code errbacks} and {@code chain} lists. */
    Map<String, @Nullable Object> toMap() {
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        m.put("task", task);
        m.put("args", args);
        m.put("kwargs", kwargs);
        m.put("options", options);
        m.put("subtask_type", null);
        m.put("immutable", immutable);
        return m;
    }

    /** Reads Celery's dict form; null if {@code value} is not one. */
    static @Nullable Signature fromMap(@Nullable Object value) {
        if (!(value instanceof Map<?, ?> m) || !(m.get("task") instanceof String name)) {
            return null;
        }
        List<@Nullable Object> args = m.get("args") instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>();
        Map<String, @Nullable Object> kwargs = new LinkedHashMap<>();
        if (m.get("kwargs") instanceof Map<?, ?> k) {
            k.forEach((key, v) -> kwargs.put(String.valueOf(key), v));
        }
        Map<String, @Nullable Object> options = new LinkedHashMap<>();
        if (m.get("options") instanceof Map<?, ?> o) {
            o.forEach((key, v) -> options.put(String.valueOf(key), v));
        }
        return new Signature(name, args, kwargs, options, Boolean.TRUE.equals(m.get("immutable")));
    }
}
