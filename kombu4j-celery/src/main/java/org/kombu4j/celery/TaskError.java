package org.kombu4j.celery;

import java.util.Objects;

/**
 * An exception a Java task throws to fail with a Python exception type, so that Python callers get the type they
 * expect: {@code throw new TaskError("builtins", "ValueError", "bad input")} makes Python's {@code
 * AsyncResult.get()} raise {@code ValueError("bad input")}. Any other exception is reported with its Java simple
 * name and package, which Python turns into an exception class of that name.
 */
public class TaskError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String excModule;
    private final String excType;

    public TaskError(String excModule, String excType, String message) {
        super(message);
        this.excModule = Objects.requireNonNull(excModule, "excModule");
        this.excType = Objects.requireNonNull(excType, "excType");
    }

    /** Python's built-in exception {@code excType}, e.g. {@code TaskError.builtin("ValueError", "boom")}. */
    public static TaskError builtin(String excType, String message) {
        return new TaskError("builtins", excType, message);
    }

    public String excModule() {
        return excModule;
    }

    public String excType() {
        return excType;
    }
}
