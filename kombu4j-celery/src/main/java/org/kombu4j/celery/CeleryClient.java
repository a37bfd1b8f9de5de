package org.kombu4j.celery;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Producer;

/**
 * Sends Celery tasks by name, as Python's {@code app.send_task}: protocol 2 messages through the default exchange
 * to the queue (default {@code celery}), which it declares as Celery does (durable, bound to a direct exchange of
 * its name) the first time it uses it. Results come from the {@link ResultBackend} given, if any.
 *
 * <pre>{@code
 * try (Connection conn = Connection.open("redis://localhost:6379/0");
 *      CeleryClient celery = new CeleryClient(conn, ResultBackends.open("redis://localhost:6379/0", url))) {
 *     Object sum = celery.send("tasks.add", List.of(2, 3), Map.of(), TaskOptions.NONE).get(Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Thread-safe. Closing closes the backend, not the connection.
 */
public final class CeleryClient implements AutoCloseable {
    private final Connection connection;
    private final @Nullable ResultBackend backend;
    private final Producer producer;
    private final Set<String> declared = ConcurrentHashMap.newKeySet();

    public CeleryClient(Connection connection, @Nullable ResultBackend backend) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.backend = backend;
        this.producer = connection.producer();
    }

    /** The backend results are read from; null if none. */
    public @Nullable ResultBackend backend() {
        return backend;
    }

    /** Sends {@code name(*args)} with Celery's default options. */
    public AsyncResult send(String name, Object... args) {
        return send(name, Arrays.asList(args), Map.of(), TaskOptions.NONE);
    }

    /** Sends {@code name(*args, **kwargs)}; args and kwargs must be JSON-serializable. */
    public AsyncResult send(String name, List<?> args, Map<String, ?> kwargs, TaskOptions options) {
        Objects.requireNonNull(options, "options");
        String id = options.taskId != null ? options.taskId : UUID.randomUUID().toString();
        return publish(name, args, kwargs, options, id, id);
    }

    /**
     * Sends a chain, Celery's {@code chain(a, b, c).apply_async()}: {@code steps[0]} runs first and each next step
     * is sent by the worker with the previous result in front of its arguments. Returns the last step's result.
     */
    public AsyncResult chain(List<Signature> steps) {
        if (Objects.requireNonNull(steps, "steps").isEmpty()) {
            throw new IllegalArgumentException("a chain needs at least one step");
        }
        String replyTo = backend == null ? null : backend.replyTo();
        List<Signature> withIds = new ArrayList<>();
        for (Signature s : steps) {
            Signature t = s.options().get("task_id") instanceof String ? s
                    : s.withOption("task_id", UUID.randomUUID().toString());
            withIds.add(replyTo == null ? t : t.withOption("reply_to", replyTo));
        }
        Signature first = withIds.get(0);
        List<Signature> rest = new ArrayList<>(withIds.subList(1, withIds.size()));
        Collections.reverse(rest); // Celery's order: the next step is the last element
        TaskOptions options = first.taskOptions().chain(rest).build();
        String lastId = (String) withIds.get(withIds.size() - 1).options().get("task_id");
        return publish(first.task(), first.args(), first.kwargs(), options, options.taskId, lastId);
    }

    private AsyncResult publish(String name, List<?> args, Map<String, ?> kwargs, TaskOptions options,
            @Nullable String id, @Nullable String resultId) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(args, "args");
        Objects.requireNonNull(kwargs, "kwargs");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(resultId, "resultId");
        boolean wantResult = backend != null && !options.ignoreResult;
        String replyTo = backend == null ? null : backend.replyTo();
        if (wantResult && backend instanceof RpcResultBackend rpc) {
            rpc.startConsuming(); // the reply queue must exist before a worker can answer
        }
        boolean declare = declared.add(options.queue);
        Protocol2.Outgoing out = Protocol2.build(name, args, kwargs, options, replyTo, id, Instant.now(), declare);
        CompletableFuture<TaskResult> future = wantResult ? backend.await(resultId) : null;
        try {
            producer.publish(out.body(), out.options());
        } catch (RuntimeException e) {
            declared.remove(options.queue);
            if (wantResult) {
                backend.forget(resultId);
            }
            throw e;
        }
        return new AsyncResult(resultId, future);
    }

    /** The result of a task sent earlier (by anyone), by id. */
    public AsyncResult asyncResult(String taskId) {
        return new AsyncResult(taskId, backend == null ? null : backend.await(taskId));
    }

    /** The connection tasks are sent on. */
    public Connection connection() {
        return connection;
    }

    @Override
    public void close() {
        if (backend != null) {
            backend.close();
        }
    }
}
