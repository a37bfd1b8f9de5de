package org.kombu4j.celery;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One task's state as Celery's result backends store it ({@code status}, {@code result}, {@code traceback},
 * {@code children}, {@code date_done}, {@code task_id}); for FAILURE, RETRY and REVOKED the result is the
 * exception as {@code {"exc_type", "exc_message": [args], "exc_module"}}.
 */
public record TaskResult(String taskId, String status, @Nullable Object result, @Nullable String traceback,
        List<Object> children, @Nullable String dateDone) {
    public static final String PENDING = "PENDING";
    public static final String STARTED = "STARTED";
    public static final String SUCCESS = "SUCCESS";
    public static final String FAILURE = "FAILURE";
    public static final String RETRY = "RETRY";
    public static final String REVOKED = "REVOKED";

    // Celery 5.2 writes datetime.utcnow().isoformat(): UTC without an offset, microseconds.
    private static final DateTimeFormatter DATE_DONE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

    public TaskResult {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(status, "status");
        children = List.copyOf(children);
    }

    /** A SUCCESS with {@code value}. */
    public static TaskResult success(String taskId, @Nullable Object value) {
        return new TaskResult(taskId, SUCCESS, value, null, List.of(), now());
    }

    /** A FAILURE (or RETRY/REVOKED with that {@code status}) describing {@code error}. */
    public static TaskResult failure(String taskId, String status, Throwable error) {
        String module;
        String type;
        if (error instanceof TaskError te) {
            module = te.excModule();
            type = te.excType();
        } else {
            module = error.getClass().getPackageName();
            type = error.getClass().getSimpleName();
        }
        List<Object> args = error.getMessage() == null ? List.of() : List.of(error.getMessage());
        return failure(taskId, status, module, type, args, traceback(error));
    }

    /** A FAILURE-like state with the exception given as Celery stores it. */
    public static TaskResult failure(String taskId, String status, @Nullable String excModule, String excType,
            List<Object> excArgs, @Nullable String traceback) {
        Map<String, Object> exc = new LinkedHashMap<>();
        exc.put("exc_type", excType);
        exc.put("exc_message", new ArrayList<>(excArgs));
        exc.put("exc_module", excModule);
        return new TaskResult(taskId, status, exc, traceback, List.of(), now());
    }

    static String now() {
        return LocalDateTime.now(ZoneOffset.UTC).format(DATE_DONE);
    }

    private static String traceback(Throwable error) {
        StringWriter w = new StringWriter();
        error.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** Whether the task is done for good (SUCCESS, FAILURE or REVOKED). */
    public boolean isReady() {
        return SUCCESS.equals(status) || FAILURE.equals(status) || REVOKED.equals(status);
    }

    /** The result of a SUCCESS; throws {@link TaskFailedException} for a FAILURE or REVOKED. */
    public @Nullable Object value() {
        if (SUCCESS.equals(status)) {
            return result;
        }
        if (FAILURE.equals(status) || REVOKED.equals(status)) {
            throw toException();
        }
        throw new IllegalStateException("task " + taskId + " is not ready: " + status);
    }

    TaskFailedException toException() {
        String type = status;
        String module = null;
        List<@Nullable Object> args = new ArrayList<>();
        if (result instanceof Map<?, ?> m && m.get("exc_type") != null) {
            type = String.valueOf(m.get("exc_type"));
            module = m.get("exc_module") == null ? null : String.valueOf(m.get("exc_module"));
            Object msg = m.get("exc_message");
            if (msg instanceof List<?> l) {
                args.addAll(l);
            } else if (msg != null) {
                args.add(msg);
            }
        } else if (REVOKED.equals(status)) {
            type = "TaskRevokedError";
            module = "celery.exceptions";
            args.add(String.valueOf(result));
        }
        return new TaskFailedException(taskId, status, type, module, args, traceback);
    }

    /** The backend's JSON object for this state, keys in Celery's order. */
    public Map<String, @Nullable Object> toMeta() {
        Map<String, @Nullable Object> meta = new LinkedHashMap<>();
        meta.put("status", status);
        meta.put("result", result);
        meta.put("traceback", traceback);
        meta.put("children", children);
        meta.put("date_done", dateDone);
        meta.put("task_id", taskId);
        return meta;
    }

    /** Reads a backend's JSON object; {@code taskId} fills a missing {@code task_id}. */
    public static TaskResult fromMeta(String taskId, Map<?, ?> meta) {
        Object status = meta.get("status");
        if (!(status instanceof String s)) {
            throw new IllegalArgumentException("task " + taskId + ": result has no status: " + meta);
        }
        Object children = meta.get("children");
        Object id = meta.get("task_id");
        Object date = meta.get("date_done");
        Object tb = meta.get("traceback");
        return new TaskResult(id instanceof String i ? i : taskId, s, meta.get("result"),
                tb == null ? null : String.valueOf(tb),
                children instanceof List<?> l ? new ArrayList<>(l) : List.of(), date == null ? null : String.valueOf(date));
    }
}
