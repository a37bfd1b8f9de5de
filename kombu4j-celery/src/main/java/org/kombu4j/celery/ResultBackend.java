package org.kombu4j.celery;

import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Where task results go and where callers wait for them, in one of Celery's layouts so that Python and Java share
 * them. Implementations: {@link RedisResultBackend} ({@code redis://}), {@link RpcResultBackend} ({@code rpc://});
 * {@link ResultBackends#open} picks one by URL. Thread-safe.
 */
public interface ResultBackend extends AutoCloseable {
    /**
     * Completes with the task's final state (SUCCESS, FAILURE or REVOKED) once the worker stores it, or at once if
     * it is stored already. Waiting never polls.
     */
    CompletableFuture<TaskResult> await(String taskId);

    /** Stores {@code result} for the task {@code request} describes (a worker's side). */
    void store(TaskRequest request, TaskResult result);

    /** The {@code reply_to} a caller puts in its task messages (the RPC backend's reply queue); null if none. */
    default @Nullable String replyTo() {
        return null;
    }

    /** Stops waiting for {@code taskId} (its future stays as it is). */
    default void forget(String taskId) {
    }

    /** Celery's URL for this backend, password masked. */
    String url();

    @Override
    void close();
}
