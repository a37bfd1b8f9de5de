package org.kombu4j.celery;

import java.util.List;
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

    /**
     * Records how many header tasks the chord of group {@code groupId} has, before they are sent (Celery's
     * {@code set_chord_size}): the worker finishing the last one sends the body.
     *
     * @throws UnsupportedOperationException if this backend cannot count chord parts (only Redis can, so far)
     */
    default void setChordSize(String groupId, int size) {
        throw new UnsupportedOperationException("chords need the Redis result backend; " + url() + " cannot count their parts");
    }

    /**
     * Counts one finished header task of a chord (Celery's {@code on_chord_part_return}); a worker calls it after
     * storing the task's result.
     *
     * @param groupIndex the task's place in the header (its {@code group_index} header), null if not sent
     * @return null while parts are missing (or no size was recorded); for the call that completes the chord, the
     *     header's results in header order, or the failure of the first header task that failed
     */
    default @Nullable ChordState onChordPartReturn(String groupId, @Nullable Integer groupIndex, TaskResult result) {
        throw new UnsupportedOperationException("chords need the Redis result backend; " + url() + " cannot count their parts");
    }

    /** A completed chord header: every value in order, or the failure Celery reports as {@code ChordError}. */
    record ChordState(List<@Nullable Object> values, @Nullable String failure) {
    }

    /** Stops waiting for {@code taskId} (its future stays as it is). */
    default void forget(String taskId) {
    }

    /** Celery's URL for this backend, password masked. */
    String url();

    @Override
    void close();
}
