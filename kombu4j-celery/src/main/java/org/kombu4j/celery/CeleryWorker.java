package org.kombu4j.celery;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.Exchange;
import org.kombu4j.HandlerFailure;
import org.kombu4j.KombuException;
import org.kombu4j.Message;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Celery worker running Java tasks: consumes protocol-2 messages from its queues (default {@code celery}), runs
 * each task of its {@link TaskRegistry} on a bounded pool ({@code concurrency} threads) and writes the outcome to the
 * {@link ResultBackend} in Celery's format, so Python's {@code AsyncResult.get()} returns the value or raises the
 * task's exception. All dispatch lives in this class.
 *
 * <ul>
 *   <li>{@code acks_late}: a message is acknowledged only after its result is stored, so a worker that dies mid-task
 *       leaves it to the broker to redeliver. The task thread does not wait for that acknowledgement
 *       ({@link Message#ackSoon()}): a worker that dies just after a task may leave it to run again, as
 *       {@code acks_late} allows.</li>
 *   <li>Bad input never stops it: an unknown task name and a message that is not protocol 2 are rejected (not
 *       requeued) and logged, as Celery does; arguments that do not fit the method give a FAILURE
 *       ({@code TypeError}) saying why.</li>
 *   <li>{@code eta}/{@code countdown}: a message due later is published again with the transport's delayed delivery
 *       and acknowledged, so it is not held in flight past a visibility timeout; on a transport without delayed
 *       delivery it is held unacknowledged until due, as Celery does.</li>
 *   <li>{@code expires} passed: state REVOKED ({@code TaskRevokedError('expired')}), not run.</li>
 *   <li>{@link Retry}: the message is sent again with {@code retries + 1} and an {@code eta}; state RETRY.</li>
 *   <li>Time limits ({@code timelimit} header): at the soft limit the task's thread is interrupted (a task that then
 *       fails reports {@code SoftTimeLimitExceeded}); at the hard limit the task is given up as FAILURE
 *       {@code TimeLimitExceeded} (a JVM thread cannot be killed: it is interrupted and its outcome ignored).</li>
 *   <li>A lost broker connection is retried with back-off (Kombu's {@code ConsumerMixin}, {@link ConsumerLoop}).</li>
 *   <li>{@link #close()}: stops taking messages, returns those not started to the broker, lets running tasks finish
 *       (up to the shutdown timeout).</li>
 * </ul>
 */
public final class CeleryWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CeleryWorker.class);

    private final Connection connection;
    private final TaskRegistry registry;
    private final @Nullable ResultBackend backend;
    private final List<String> queues;
    private final int concurrency;
    private final int prefetch;
    private final Duration shutdownTimeout;
    private final String hostname;
    private final ThreadPoolExecutor pool;
    private final ScheduledExecutorService timers;
    private final Producer producer;
    private final Set<Run> held = ConcurrentHashMap.newKeySet();
    private final Set<String> declaredQueues = ConcurrentHashMap.newKeySet();
    private final AtomicInteger done = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private @Nullable Thread consumerThread;
    private @Nullable ConsumerLoop loop;
    // The loop's current consumer (a new one after each reconnect).
    private volatile @Nullable Consumer consumer;
    private volatile @Nullable RuntimeException failure;

    private CeleryWorker(Builder b) {
        this.connection = b.connection;
        this.registry = b.registry;
        this.backend = b.backend;
        this.queues = List.copyOf(b.queues);
        this.concurrency = b.concurrency;
        this.prefetch = b.prefetch > 0 ? b.prefetch : b.concurrency * 4;
        this.shutdownTimeout = b.shutdownTimeout;
        this.hostname = b.hostname != null ? b.hostname : "kombu4j@" + host();
        AtomicInteger n = new AtomicInteger();
        // The queue is bounded by the prefetch count: the broker never hands over more than that unacknowledged.
        this.pool = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "kombu4j-celery-task-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kombu4j-celery-timers");
            t.setDaemon(true);
            return t;
        });
        this.producer = connection.producer();
    }

    /** A worker over {@code connection} running {@code registry}'s tasks. */
    public static Builder builder(Connection connection, TaskRegistry registry) {
        return new Builder(connection, registry);
    }

    /** The worker's name, Celery's {@code hostname} ({@code kombu4j@host}). */
    public String hostname() {
        return hostname;
    }

    /** How many task messages were settled (run, failed, revoked, rejected) so far. */
    public int processed() {
        return done.get();
    }

    /**
     * Starts consuming on a thread of its own, which reconnects (with back-off) when the broker connection is lost;
     * returns once the consumer is subscribed.
     *
     * @throws KombuException if the broker cannot be reached now (a lost connection later is retried instead)
     */
    public synchronized CeleryWorker start() {
        if (consumerThread != null) {
            throw new IllegalStateException("worker already started");
        }
        connection.connect();
        CountDownLatch subscribed = new CountDownLatch(1);
        ConsumerLoop l = ConsumerLoop.builder(connection, c -> {
            Consumer made = makeConsumer(c);
            consumer = made;
            subscribed.countDown();
            return List.of(made);
        }).drainTimeout(Duration.ofMillis(200)).build();
        loop = l;
        Thread t = new Thread(() -> {
            try {
                l.run();
            } catch (RuntimeException e) {
                if (!stopping) {
                    fail(e);
                }
            } finally {
                subscribed.countDown();
            }
        }, "kombu4j-celery-worker");
        consumerThread = t;
        t.start();
        try {
            subscribed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RuntimeException f = failure;
        if (f != null) {
            throw f;
        }
        log.info("{} ready: queues {}, tasks {}, concurrency {}, prefetch {}", hostname, queues, registry.names(),
                concurrency, prefetch);
        return this;
    }

    private Consumer makeConsumer(Connection c) {
        List<Queue> qs = new ArrayList<>();
        for (String q : queues) {
            qs.add(Protocol2.queue(q));
        }
        return c.consumer(qs.toArray(Queue[]::new)).accept("json", "msgpack", "yaml")
                .prefetch(prefetch)
                .onDecodeError(Consumer.LOG_AND_REJECT)
                .onHandlerFailure(HandlerFailure.REJECT)
                .onMessage(this::onMessage)
                .build();
    }

    /** Blocks until the worker stops ({@link #close()} from another thread, or a fatal broker error, rethrown). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
        RuntimeException f;
        synchronized (this) {
            f = failure;
        }
        if (f != null) {
            throw f;
        }
    }

    private void fail(RuntimeException e) {
        log.error("{}: consuming failed: {}", hostname, e.toString());
        synchronized (this) {
            failure = e;
        }
        stopped.countDown();
    }

    // --- dispatch: everything below decides what happens to one message ----------------------------------------

    private void onMessage(@Nullable Object body, Message message) {
        TaskRequest request;
        try {
            request = TaskRequest.parse(message, body);
        } catch (TaskRequest.NotATaskException e) {
            log.error("{}: rejected a message from queue '{}': {}", hostname, message.delivery().queue(),
                    e.getMessage());
            settle(() -> message.reject(false));
            return;
        }
        TaskRegistry.Task task = registry.get(request.task());
        if (task == null) {
            // Celery's words for the same case, so operators recognise it.
            log.error("{}: Received unregistered task of type '{}' (id {}); the message was rejected. "
                    + "Known tasks: {}", hostname, request.task(), request.id(), registry.names());
            settle(() -> message.reject(false));
            storeNotRegistered(request);
            return;
        }
        Run run = new Run(task, request, message);
        if (request.expires() != null && !Instant.now().isBefore(request.expires())) {
            revokeExpired(run);
            return;
        }
        if (request.eta() != null && Instant.now().isBefore(request.eta())) {
            defer(run, request.eta());
            return;
        }
        submit(run);
    }

    /**
     * As Celery 5's worker does for a task it does not know: the result becomes a FAILURE with
     * {@code celery.exceptions.NotRegistered}, so a caller's {@code AsyncResult.get()} raises at once instead of
     * waiting out its timeout. Storing is best effort: the message is already rejected.
     */
    private void storeNotRegistered(TaskRequest request) {
        if (backend == null || request.ignoreResult()) {
            return;
        }
        try {
            backend.store(request, TaskResult.failure(request.id(), TaskResult.FAILURE, "celery.exceptions",
                    "NotRegistered", List.of(request.task()), null));
        } catch (RuntimeException e) {
            log.warn("{}: storing the NotRegistered result of {} failed: {}", hostname, request.id(), e.getMessage());
        }
    }

    private void submit(Run run) {
        if (stopping) {
            settle(() -> run.message.requeue());
            return;
        }
        pool.execute(run);
    }

    /** Not yet due: back to the broker with a delay (not in flight), or held here when the broker cannot delay. */
    private void defer(Run run, Instant eta) {
        if (connection.transport().capabilities().delayedDelivery()) {
            resend(run, run.request.headers(), eta);
            settle(() -> run.message.ack());
            log.debug("{}: task {} due at {}: sent again with delayed delivery", hostname, run.request.id(), eta);
            return;
        }
        held.add(run);
        long delay = Math.max(0, Duration.between(Instant.now(), eta).toMillis());
        run.timer = timers.schedule(() -> {
            if (held.remove(run)) {
                submit(run);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** Publishes the task's message again (same body and ids) with {@code headers}, delivered at {@code eta}. */
    private void resend(Run run, Map<String, Object> headers, @Nullable Instant eta) {
        Message m = run.message;
        Map<String, Object> taskHeaders = new LinkedHashMap<>(headers);
        // The broker's dead-letter records of the last delay: RabbitMQ drops a message whose x-death shows it
        // expired in the same queue before (its cycle check), which would lose the second retry.
        taskHeaders.keySet().removeIf(k -> k.startsWith("x-death") || k.startsWith("x-first-death")
                || k.startsWith("x-last-death"));
        PublishOptions.Builder o = PublishOptions.builder().exchange(Exchange.DEFAULT).routingKey(m.delivery().queue())
                .serializer("json").headers(taskHeaders).priority(m.priority());
        if (m.correlationId() != null) {
            o.correlationId(m.correlationId());
        }
        if (m.replyTo() != null) {
            o.replyTo(m.replyTo());
        }
        if (eta != null && connection.transport().capabilities().delayedDelivery()) {
            o.eta(eta);
        }
        Map<String, @Nullable Object> embed = run.request.embed();
        producer.publish(java.util.Arrays.asList(run.request.args(), run.request.kwargs(), embed), o.build());
    }

    private void revokeExpired(Run run) {
        log.info("{}: task {}[{}] expired at {}; revoked", hostname, run.request.task(), run.request.id(),
                run.request.expires());
        store(run, TaskResult.failure(run.request.id(), TaskResult.REVOKED, "celery.exceptions", "TaskRevokedError",
                List.of("expired"), null));
        settle(() -> run.message.ack());
    }

    /** One task execution; runs on the pool. */
    private final class Run implements Runnable {
        final TaskRegistry.Task task;
        final TaskRequest request;
        final Message message;
        final AtomicBoolean finished = new AtomicBoolean();
        volatile boolean softLimitHit;
        @Nullable ScheduledFuture<?> timer;

        Run(TaskRegistry.Task task, TaskRequest request, Message message) {
            this.task = task;
            this.request = request;
            this.message = message;
        }

        @Override
        public void run() {
            if (stopping) {
                // Not started before the shutdown: the broker gets it back for another worker.
                settle(message::requeue);
                return;
            }
            Thread me = Thread.currentThread();
            List<ScheduledFuture<?>> limits = new ArrayList<>();
            if (request.softTimeLimit() != null) {
                limits.add(timers.schedule(() -> {
                    if (!finished.get()) {
                        softLimitHit = true;
                        me.interrupt();
                    }
                }, millis(request.softTimeLimit()), TimeUnit.MILLISECONDS));
            }
            if (request.timeLimit() != null) {
                double hard = request.timeLimit();
                limits.add(timers.schedule(() -> {
                    if (finished.compareAndSet(false, true)) {
                        log.error("{}: task {}[{}] hit its hard time limit ({} s); given up", hostname,
                                request.task(), request.id(), hard);
                        me.interrupt();
                        complete(TaskResult.failure(request.id(), TaskResult.FAILURE, "billiard.exceptions",
                                "TimeLimitExceeded", List.of(hard), null));
                    }
                }, millis(hard), TimeUnit.MILLISECONDS));
            }
            TaskResult result;
            try {
                Object value = task.function().call(new TaskCall(request.id(), request.task(), request.args(),
                        request.kwargs(), request.retries()));
                result = TaskResult.success(request.id(), value);
            } catch (Retry retry) {
                result = retry(this, retry);
            } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
                if (softLimitHit) {
                    result = TaskResult.failure(request.id(), TaskResult.FAILURE, "celery.exceptions",
                            "SoftTimeLimitExceeded", List.of("SoftTimeLimitExceeded(" + request.softTimeLimit() + ")"),
                            null);
                } else {
                    log.info("{}: task {}[{}] raised {}", hostname, request.task(), request.id(), e.toString());
                    result = TaskResult.failure(request.id(), TaskResult.FAILURE, e);
                }
            } finally {
                limits.forEach(f -> f.cancel(false));
                Thread.interrupted(); // a late soft-limit interrupt must not leak into the next task
            }
            if (finished.compareAndSet(false, true) && result != null) {
                complete(result);
            }
        }

        private void complete(TaskResult result) {
            try {
                store(this, result);
            } catch (KombuException e) {
                log.error("{}: {}; the message stays unacknowledged for the broker to redeliver", hostname,
                        e.getMessage());
                return;
            }
            followUps(this, result);
            chordPart(this, result);
            // Still after the task and its result (acks_late), but the task thread goes on to the next task
            // instead of waiting for the broker: on Redis the acks of all task threads go out in one batch.
            settle(message::ackSoon);
        }
    }

    /**
     * What the message asks for after the task: on SUCCESS the next step of its chain and its {@code link}
     * callbacks, given the result first; on FAILURE its {@code link_error} callbacks, given the task id first
     * (Celery's old-style errback call, which any task can take).
     */
    private void followUps(Run run, TaskResult result) {
        Map<String, @Nullable Object> embed = run.request.embed();
        try {
            if (TaskResult.SUCCESS.equals(result.status())) {
                if (embed.get("chain") instanceof List<?> chain && !chain.isEmpty()) {
                    List<Signature> rest = new ArrayList<>();
                    for (Object o : chain.subList(0, chain.size() - 1)) {
                        Signature s = Signature.fromMap(o);
                        if (s != null) {
                            rest.add(s);
                        }
                    }
                    Signature next = Signature.fromMap(chain.get(chain.size() - 1));
                    if (next != null) {
                        sendNext(run, next, result.result(), rest);
                    }
                }
                for (Signature s : signatures(embed.get("callbacks"))) {
                    sendNext(run, s, result.result(), null);
                }
            } else if (TaskResult.FAILURE.equals(result.status())) {
                for (Signature s : signatures(embed.get("errbacks"))) {
                    sendNext(run, s, run.request.id(), null);
                }
            }
        } catch (KombuException e) {
            log.error("{}: task {}[{}]: sending its follow-up tasks failed: {}", hostname, run.request.task(),
                    run.request.id(), e.getMessage());
        }
    }

    /**
     * A chord header task: counts it in the backend (Celery's {@code on_chord_part_return}) and, when it was the
     * last, sends the body with the header's results, or fails the body with Celery's {@code ChordError}.
     */
    private void chordPart(Run run, TaskResult result) {
        Object group = run.request.headers().get("group");
        Signature body = Signature.fromMap(run.request.embed().get("chord"));
        if (!(group instanceof String gid) || body == null || backend == null) {
            return;
        }
        Object index = run.request.headers().get("group_index");
        try {
            ResultBackend.ChordState done = backend.onChordPartReturn(gid, index instanceof Number n ? n.intValue() : null,
                    result);
            if (done == null) {
                return;
            }
            String bodyId = body.options().get("task_id") instanceof String id ? id : null;
            if (done.failure() != null) {
                log.error("{}: chord {} failed: {}", hostname, gid, done.failure());
                if (bodyId != null) {
                    backend.store(run.request, TaskResult.failure(bodyId, TaskResult.FAILURE, "celery.exceptions",
                            "ChordError", List.of(done.failure()), null));
                }
                for (Signature s : signatures(body.options().get("link_error"))) {
                    sendNext(run, s, bodyId, null);
                }
                return;
            }
            sendNext(run, body, done.values(), null);
        } catch (UnsupportedOperationException | KombuException e) {
            log.error("{}: task {}[{}] is part of chord {}, which cannot be completed: {}", hostname,
                    run.request.task(), run.request.id(), gid, e.getMessage());
        }
    }

    private static List<Signature> signatures(@Nullable Object value) {
        List<Signature> out = new ArrayList<>();
        if (value instanceof List<?> l) {
            for (Object o : l) {
                Signature s = Signature.fromMap(o);
                if (s != null) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    private void sendNext(Run run, Signature sig, @Nullable Object first, @Nullable List<Signature> chainRest) {
        List<@Nullable Object> args = new ArrayList<>();
        if (!sig.immutable()) {
            args.add(first);
        }
        args.addAll(sig.args());
        Object root = run.request.headers().get("root_id");
        TaskOptions.Builder b = sig.taskOptions().header("parent_id", run.request.id())
                .header("root_id", root instanceof String ? root : run.request.id());
        if (chainRest != null) {
            b.chain(chainRest);
        }
        TaskOptions o = b.build();
        String id = o.taskId != null ? o.taskId : java.util.UUID.randomUUID().toString();
        Protocol2.Outgoing out = Protocol2.build(sig.task(), args, sig.kwargs(), o, sig.replyTo(), id, Instant.now(),
                declaredQueues.add(o.queue()));
        producer.publish(out.body(), out.options());
    }

    private static long millis(double seconds) {
        return Math.max(1, Math.round(seconds * 1000));
    }

    /** Sends the task again for a {@link Retry}, or fails it when out of retries; null once sent again. */
    private @Nullable TaskResult retry(Run run, Retry retry) {
        TaskRequest r = run.request;
        int max = retry.maxRetries() != null ? retry.maxRetries() : run.task.maxRetries();
        Throwable cause = retry.getCause();
        if (r.retries() >= max) {
            if (cause != null) {
                return TaskResult.failure(r.id(), TaskResult.FAILURE, cause);
            }
            return TaskResult.failure(r.id(), TaskResult.FAILURE, "celery.exceptions", "MaxRetriesExceededError",
                    List.of("Can't retry " + r.task() + "[" + r.id() + "] args:" + PythonRepr.of(r.args())
                            + " kwargs:" + PythonRepr.of(r.kwargs())), null);
        }
        Instant eta = Instant.now().plus(retry.countdown());
        Map<String, Object> headers = new LinkedHashMap<>(r.headers());
        headers.put("retries", r.retries() + 1);
        headers.put("eta", Protocol2.iso(eta));
        resend(run, headers, eta);
        Throwable shown = cause != null ? cause : retry;
        store(run, TaskResult.failure(r.id(), TaskResult.RETRY, shown));
        log.info("{}: task {}[{}] retry {} of {} in {} s", hostname, r.task(), r.id(), r.retries() + 1, max,
                retry.countdown().toMillis() / 1000.0);
        run.finished.set(true);
        settle(run.message::ack);
        return null;
    }

    private void store(Run run, TaskResult result) {
        if (backend == null || run.request.ignoreResult()) {
            return;
        }
        try {
            backend.store(run.request, result);
        } catch (RuntimeException e) {
            // Not acknowledged then (acks_late): the broker redelivers it and the task runs again.
            throw new KombuException("task " + run.request.id() + ": storing the result failed: " + e.getMessage(), e);
        }
    }

    private void settle(Runnable action) {
        try {
            action.run();
        } catch (KombuException e) {
            log.warn("{}: could not settle a message: {}", hostname, e.getMessage());
        } finally {
            done.incrementAndGet();
        }
    }

    /**
     * Graceful shutdown: stops taking messages, returns the ones not started (and those held for their eta) to the
     * broker, and waits up to the shutdown timeout for running tasks. Does not close the connection or backend.
     */
    @Override
    public void close() {
        Thread t;
        ConsumerLoop l;
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
            t = consumerThread;
            l = loop;
        }
        try {
            Consumer c = consumer;
            if (c != null) {
                try {
                    c.cancel(); // stop taking; what it holds stays unacknowledged until settled below
                } catch (KombuException e) {
                    log.debug("cancelling the consumer: {}", e.getMessage());
                }
            }
            List<Runnable> notStarted = new ArrayList<>();
            pool.getQueue().drainTo(notStarted);
            for (Runnable r : notStarted) {
                settle(((Run) r).message::requeue);
            }
            for (Run r : new ArrayList<>(held)) {
                if (held.remove(r)) {
                    if (r.timer != null) {
                        r.timer.cancel(false);
                    }
                    settle(r.message::requeue);
                }
            }
            pool.shutdown();
            // The loop keeps the connection served (acknowledgements, lease renewals) while running tasks finish.
            if (!pool.awaitTermination(shutdownTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{}: {} task(s) still running after {} s; their messages return to the broker", hostname,
                        pool.getActiveCount(), shutdownTimeout.toSeconds());
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        } finally {
            timers.shutdownNow();
            if (l != null) {
                l.stop(); // closes the consumer: anything still unacknowledged goes back to the broker
            }
            if (t != null) {
                try {
                    t.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            stopped.countDown();
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException | RuntimeException e) {
            return "localhost";
        }
    }

    /** Options of a {@link CeleryWorker}. */
    public static final class Builder {
        private final Connection connection;
        private final TaskRegistry registry;
        private @Nullable ResultBackend backend;
        private List<String> queues = List.of(TaskOptions.DEFAULT_QUEUE);
        private int concurrency = Math.max(1, Runtime.getRuntime().availableProcessors());
        private int prefetch;
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private @Nullable String hostname;

        private Builder(Connection connection, TaskRegistry registry) {
            this.connection = Objects.requireNonNull(connection, "connection");
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /** Where results go; none (null) means results are not stored. */
        public Builder backend(@Nullable ResultBackend value) {
            backend = value;
            return this;
        }

        /** The queues to consume (default {@code celery}). */
        public Builder queues(List<String> value) {
            if (value.isEmpty() || value.stream().anyMatch(q -> q == null || q.isEmpty())) {
                throw new ConfigurationException("queues must be non-empty names, got " + value);
            }
            queues = List.copyOf(value);
            return this;
        }

        /** Tasks run at once (the pool's size; default: the number of processors). */
        public Builder concurrency(int value) {
            if (value < 1) {
                throw new ConfigurationException("concurrency must be at least 1, got " + value);
            }
            concurrency = value;
            return this;
        }

        /** Unacknowledged messages taken at once (default 4 × concurrency, Celery's multiplier). */
        public Builder prefetch(int value) {
            if (value < 1) {
                throw new ConfigurationException("prefetch must be at least 1, got " + value);
            }
            prefetch = value;
            return this;
        }

        /** How long {@link #close()} waits for running tasks (default 30 s). */
        public Builder shutdownTimeout(Duration value) {
            if (Objects.requireNonNull(value, "shutdownTimeout").isNegative()) {
                // Else close() would give up on running tasks at once and log a negative wait.
                throw new ConfigurationException("shutdownTimeout must not be negative, got " + value);
            }
            shutdownTimeout = value;
            return this;
        }

        /** The worker's name (default {@code kombu4j@<host>}). */
        public Builder hostname(String value) {
            hostname = Objects.requireNonNull(value, "hostname");
            return this;
        }

        public CeleryWorker build() {
            return new CeleryWorker(this);
        }
    }
}
