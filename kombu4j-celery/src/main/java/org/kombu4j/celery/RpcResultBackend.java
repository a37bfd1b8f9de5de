package org.kombu4j.celery;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ClosedException;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.DeliveryMode;
import org.kombu4j.Exchange;
import org.kombu4j.KombuException;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's {@code rpc://} backend: results travel as messages. A caller names its own reply queue (a UUID) in each
 * task's {@code reply_to}; the worker publishes {@code {task_id, status, result, traceback, children}} through the
 * default exchange with that queue as routing key and the task id as {@code correlation_id}, transient, as Celery
 * 5.2's {@code RPCBackend.store_result} does. The reply queue is Celery's: not durable, auto-deleted, expiring
 * after {@code result_expires} (one day) unused. Results are read once: nothing is kept for a second caller.
 *
 * <p>It owns a connection of its own to the broker (opened from the URL given), drained by one thread, so a
 * caller's connection is never drained behind its back.
 */
public final class RpcResultBackend implements ResultBackend {
    private static final Logger log = LoggerFactory.getLogger(RpcResultBackend.class);

    // How long one drain waits; close() waits up to this for the drainer, so that the connection is never closed
    // under a drain in progress (the transport would log the torn-down wait).
    private static final Duration DRAIN_WAIT = Duration.ofMillis(250);

    private final Connection connection;
    private final String replyTo = UUID.randomUUID().toString();
    private final Waiting waiting = new Waiting();
    // Results that arrived before anyone awaited them (Celery's "out of band" results).
    private final Map<String, TaskResult> early = new ConcurrentHashMap<>();
    private @Nullable Consumer consumer;
    private @Nullable Thread drainer;
    private volatile boolean closed;

    /** A backend over a connection of its own to {@code brokerUrl}. */
    public RpcResultBackend(String brokerUrl) {
        this.connection = Connection.open(brokerUrl);
    }

    @Override
    public String url() {
        return "rpc://";
    }

    @Override
    public String replyTo() {
        return replyTo;
    }

    @Override
    public CompletableFuture<TaskResult> await(String taskId) {
        Waiting.Entry w = waiting.register(taskId, () -> waiting.remove(taskId));
        if (w.created()) {
            startConsuming();
            TaskResult r = early.remove(taskId);
            if (r != null) {
                w.future().complete(r);
            }
        }
        return w.future();
    }

    @Override
    public void forget(String taskId) {
        waiting.remove(taskId);
        early.remove(taskId);
    }

    /** Declares the reply queue and consumes it; called before the first task is sent, so no reply is missed. */
    public synchronized void startConsuming() {
        if (consumer != null || closed) {
            return;
        }
        Queue queue = Queue.named(replyTo).durable(false).autoDelete(true)
                .expires(Duration.ofSeconds(RedisResultBackend.RESULT_EXPIRES_SECONDS))
                .bind(Exchange.DEFAULT, replyTo).build();
        consumer = connection.consumer(queue).accept("json", "msgpack").noAck(true)
                .onMessage((body, message) -> onReply(body, message.correlationId())).consume();
        Thread t = new Thread(this::drain, "kombu4j-celery-rpc-results");
        t.setDaemon(true);
        drainer = t;
        t.start();
    }

    private void drain() {
        while (!closed) {
            try {
                connection.drainEvents(DRAIN_WAIT);
            } catch (ClosedException e) {
                return;
            } catch (KombuException e) {
                if (closed) {
                    return;
                }
                log.warn("rpc:// result consumer: {}", e.getMessage());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void onReply(@Nullable Object body, @Nullable String correlationId) {
        if (!(body instanceof Map<?, ?> m)) {
            log.warn("rpc:// reply {} is not a result object; dropped", correlationId);
            return;
        }
        String id = m.get("task_id") instanceof String s ? s : correlationId;
        if (id == null) {
            log.warn("rpc:// reply without task_id or correlation_id; dropped");
            return;
        }
        TaskResult r = TaskResult.fromMeta(id, m);
        if (!r.isReady()) {
            return;
        }
        if (!waiting.complete(id, r)) {
            early.put(id, r);
            // await() may have registered between the two looks: it would then miss the early entry.
            if (waiting.complete(id, r)) {
                early.remove(id);
            }
        }
    }

    @Override
    public void store(TaskRequest request, TaskResult result) {
        String to = request.replyTo();
        if (to == null || to.isEmpty()) {
            // Celery does the same: a caller that named no reply queue wants no result.
            return;
        }
        Map<String, @Nullable Object> body = new LinkedHashMap<>();
        body.put("task_id", result.taskId());
        body.put("status", result.status());
        body.put("result", result.result());
        body.put("traceback", result.traceback());
        body.put("children", result.children());
        String correlation = request.correlationId() != null ? request.correlationId() : result.taskId();
        connection.producer().publish(body, PublishOptions.builder().exchange(Exchange.DEFAULT).routingKey(to)
                .serializer("json").correlationId(correlation).deliveryMode(DeliveryMode.TRANSIENT).build());
    }

    @Override
    public void close() {
        Consumer c;
        Thread t;
        synchronized (this) {
            closed = true;
            c = consumer;
            t = drainer;
        }
        try {
            if (t != null && t != Thread.currentThread()) {
                t.join(DRAIN_WAIT.toMillis() * 4);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (c != null) {
                c.close();
            }
        } finally {
            connection.close();
            KombuException gone = new ClosedException("the rpc:// result backend was closed");
            waiting.failAll(gone);
        }
    }
}
