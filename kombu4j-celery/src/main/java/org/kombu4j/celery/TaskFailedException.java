package org.kombu4j.celery;

import java.util.List;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;

/**
 * The task ended in FAILURE (or was REVOKED): the worker's exception type, module and message as Celery stores
 * them ({@code exc_type}, {@code exc_module}, {@code exc_message}) and its traceback.
 */
public final class TaskFailedException extends KombuException {
    private static final long serialVersionUID = 1L;
    private final String taskId;
    private final String status;
    private final String excType;
    private final @Nullable String excModule;
    private final List<@Nullable Object> excArgs;
    private final @Nullable String traceback;

    public TaskFailedException(String taskId, String status, String excType, @Nullable String excModule,
            List<@Nullable Object> excArgs, @Nullable String traceback) {
        super("task " + taskId + " " + status + ": " + excType + ": " + joinArgs(excArgs));
        this.taskId = taskId;
        this.status = status;
        this.excType = excType;
        this.excModule = excModule;
        this.excArgs = List.copyOf(excArgs.stream().map(a -> a == null ? "None" : a).toList());
        this.traceback = traceback;
    }

    static String joinArgs(List<@Nullable Object> args) {
        if (args.size() == 1) {
            return String.valueOf(args.get(0));
        }
        return PythonRepr.of(args);
    }

    public String taskId() {
        return taskId;
    }

    /** FAILURE or REVOKED. */
    public String status() {
        return status;
    }

    /** The exception's class name, e.g. {@code ValueError}. */
    public String excType() {
        return excType;
    }

    /** The exception's module, e.g. {@code builtins}; null when the worker did not say. */
    public @Nullable String excModule() {
        return excModule;
    }

    /** The exception's message: its single argument, or the repr of its argument tuple. */
    public String excMessage() {
        return joinArgs(excArgs);
    }

    /** The exception's arguments as the worker stored them. */
    public List<Object> excArgs() {
        return excArgs;
    }

    public @Nullable String traceback() {
        return traceback;
    }
}
