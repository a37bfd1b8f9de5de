package org.kombu4j.celery;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;

/** A sent task's result to come, as Celery's {@code AsyncResult}: {@link #get(Duration)} or {@link #future()}. */
public final class AsyncResult {
    private final String id;
    private final @Nullable CompletableFuture<TaskResult> future;

    AsyncResult(String id, @Nullable CompletableFuture<TaskResult> future) {
        this.id = id;
        this.future = future;
    }

    /** The task id. */
    public String id() {
        return id;
    }

    /**
     * Completes with the task's final state (SUCCESS, FAILURE or REVOKED); it completes even for a failure, whose
     * {@link TaskResult#value()} throws.
     *
     * @throws IllegalStateException when there is no result backend, or the task was sent with ignoreResult
     */
    public CompletableFuture<TaskResult> future() {
        if (future == null) {
            throw new IllegalStateException("task " + id + ": no result to wait for (no result backend, or ignoreResult)");
        }
        return future;
    }

    /**
     * Waits up to {@code timeout} for the task's result value.
     *
     * @throws TaskFailedException if the task failed or was revoked (with the worker's exception type and message)
     * @throws ResultTimeoutException if no result came within {@code timeout}
     */
    public @Nullable Object get(Duration timeout) {
        return state(timeout).value();
    }

    /** Waits up to {@code timeout} for the final state, failures included, without throwing for them. */
    public TaskResult state(Duration timeout) {
        try {
            return future().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new ResultTimeoutException("task " + id + ": no result within " + timeout.toMillis() / 1000.0 + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KombuException("interrupted while waiting for task " + id, e);
        } catch (ExecutionException | CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof KombuException k) {
                throw k;
            }
            throw new KombuException("waiting for task " + id + " failed: " + cause, cause);
        }
    }

    @Override
    public String toString() {
        return "AsyncResult[" + id + "]";
    }
}
