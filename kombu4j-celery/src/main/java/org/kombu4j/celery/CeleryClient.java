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
     * Sends {@code name(*args)} with Celery's default options without waiting for the broker; see
     * {@link #sendAsync(String, List, Map, TaskOptions)}.
     */
    public CompletableFuture<AsyncResult> sendAsync(String name, Object... args) {
        return sendAsync(name, Arrays.asList(args), Map.of(), TaskOptions.NONE);
    }

    /**
     * Sends {@code name(*args, **kwargs)} as {@link #send(String, List, Map, TaskOptions)} does, without waiting for
     * the broker to take it (as {@link Producer#publishTracked}). The returned future completes with the task's
     * {@link AsyncResult} once the broker has the message: on Redis when Redis has answered the {@code LPUSH} (the
     * moment {@link #send} returns at); on AMQP with {@code confirm_publish} (kombu4j's default) on the publisher
     * confirm, and without confirms once the message is written to the socket, as {@code send} returns then. It
     * completes exceptionally with an {@link org.kombu4j.OperationalException} if the broker refused the message or
     * the connection was lost first (the task may or may not have arrived then); a result registered with the
     * backend is forgotten. Futures of one thread's calls complete in the order of the calls.
     *
     * <p>Encoding errors, a closed or unreachable connection and, on Redis, a full window of outstanding sends
     * that does not free within the {@code socket_timeout} are thrown here, as by {@code send}; while the window
     * is full this call blocks (backpressure). Dependent stages added with the non-{@code Async} methods may run on
     * the transport's I/O thread: keep them short and never block in them.
     */
    public CompletableFuture<AsyncResult> sendAsync(String name, List<?> args, Map<String, ?> kwargs, TaskOptions options) {
        Objects.requireNonNull(options, "options");
        String id = options.taskId != null ? options.taskId : UUID.randomUUID().toString();
        Prepared p = prepare(name, args, kwargs, options, id, id);
        CompletableFuture<Void> sent;
        try {
            sent = producer.publishTracked(p.out().body(), p.out().options());
        } catch (RuntimeException e) {
            undo(p, options);
            throw e;
        }
        AsyncResult result = new AsyncResult(p.resultId(), p.future());
        return sent.handle((ok, e) -> {
            if (e != null) {
                undo(p, options);
                throw e instanceof java.util.concurrent.CompletionException ce ? ce
                        : new java.util.concurrent.CompletionException(e);
            }
            return result;
        });
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

    /**
     * Sends a group, Celery's {@code group(a, b, c).apply_async()}: every task at once, each carrying the group's id
     * and its index in the {@code group} and {@code group_index} headers.
     */
    public GroupResult group(List<Signature> tasks) {
        return sendGroup(tasks, null);
    }

    /**
     * Sends a chord, Celery's {@code chord(header)(body)}: the header tasks as a group, each carrying the body; once
     * the last of them has finished, the worker that ran it sends the body with the list of the header's results
     * (in header order) in front of its arguments. Returns the body's result. Needs a result backend that counts the
     * header's parts (Redis: the chord's size is stored before any header task is sent, as Celery's
     * {@code set_chord_size}); an empty header sends the body at once with an empty list, as Celery does.
     *
     * @throws UnsupportedOperationException if the backend cannot count chord parts (none, or {@code rpc://})
     */
    public AsyncResult chord(List<Signature> header, Signature body) {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(body, "body");
        if (backend == null) {
            throw new UnsupportedOperationException("a chord needs a result backend: its header's results are collected there");
        }
        String replyTo = backend.replyTo();
        Signature b = body.options().get("task_id") instanceof String ? body
                : body.withOption("task_id", UUID.randomUUID().toString());
        if (replyTo != null) {
            b = b.withOption("reply_to", replyTo);
        }
        String bodyId = (String) b.options().get("task_id");
        if (header.isEmpty()) {
            List<Object> args = new ArrayList<>();
            args.add(List.of());
            args.addAll(b.args());
            return publish(b.task(), args, b.kwargs(), b.taskOptions().build(), bodyId, bodyId);
        }
        sendGroup(header, b);
        return new AsyncResult(bodyId, backend.await(bodyId));
    }

    private GroupResult sendGroup(List<Signature> tasks, @Nullable Signature chordBody) {
        Objects.requireNonNull(tasks, "tasks");
        String groupId = UUID.randomUUID().toString();
        if (chordBody != null) {
            backend.setChordSize(groupId, tasks.size());
        }
        List<AsyncResult> results = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Signature s = tasks.get(i);
            String id = s.options().get("task_id") instanceof String t ? t : UUID.randomUUID().toString();
            TaskOptions.Builder o = s.taskOptions().taskId(id).header("group", groupId).header("group_index", i)
                    .chord(chordBody);
            results.add(publish(s.task(), s.args(), s.kwargs(), o.build(), id, id));
        }
        return new GroupResult(groupId, results);
    }

    /** A task message ready to publish, and the result registered for it (null if none is wanted). */
    private record Prepared(Protocol2.Outgoing out, String resultId, @Nullable CompletableFuture<TaskResult> future) {
    }

    private AsyncResult publish(String name, List<?> args, Map<String, ?> kwargs, TaskOptions options,
            @Nullable String id, @Nullable String resultId) {
        Prepared p = prepare(name, args, kwargs, options, id, resultId);
        try {
            producer.publish(p.out().body(), p.out().options());
        } catch (RuntimeException e) {
            undo(p, options);
            throw e;
        }
        return new AsyncResult(p.resultId(), p.future());
    }

    private Prepared prepare(String name, List<?> args, Map<String, ?> kwargs, TaskOptions options,
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
        return new Prepared(out, resultId, future);
    }

    /** A send failed: declare the queue again next time, stop waiting for the result. */
    private void undo(Prepared p, TaskOptions options) {
        declared.remove(options.queue);
        if (p.future() != null && backend != null) {
            backend.forget(p.resultId());
        }
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
