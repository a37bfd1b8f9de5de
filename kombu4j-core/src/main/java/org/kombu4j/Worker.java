package org.kombu4j;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.kombu4j.hub.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running consumer service: one event-loop thread takes messages from its queues (a {@link ConsumerLoop}, so
 * it reconnects after connection faults) and hands them to {@code concurrency} handler threads (virtual threads on
 * JDK 21 and later, platform threads before). At most {@code prefetch} messages are unacknowledged at once: the
 * broker (or the transport's own bookkeeping) stops delivering when the handlers fall behind, so a busy pool is
 * back-pressure, not a growing backlog in memory.
 *
 * <pre>{@code
 * Worker worker = Worker.builder(conn).queues(queue).accept("json").concurrency(8)
 *         .onMessage((body, msg) -> { work(body); msg.ack(); })
 *         .shutdownHook(Duration.ofSeconds(20))
 *         .build().start();
 * ...
 * worker.stop(Duration.ofSeconds(20)); // finishes what runs, returns what waits
 * }</pre>
 *
 * <p>Handlers settle their messages themselves ({@link Message#ack()}, {@link Message#reject(boolean)}) from the
 * handler threads: every transport's channel is safe to settle from any thread. A handler that throws is a handler
 * failure, handled by the worker's {@link HandlerFailure} policy ({@link Builder#onHandlerFailure}); unlike a
 * {@link Consumer}'s, the default is not to stop but to {@link HandlerFailure#REJECT reject} the message to its
 * queue's dead-letter exchange where the queue was given one ({@link Queue.Builder#deadLetter}) and to
 * {@link HandlerFailure#REQUEUE requeue} it elsewhere: a service should go on past one bad message, and neither
 * default drops a message (a message that always fails comes back for ever on a queue without dead letters, unless
 * the queue has a delivery limit).
 *
 * <p>{@link #stop(Duration)} stops taking messages, lets the handlers in flight finish within the grace period and
 * returns to their queues (rejected with requeue) the messages taken but not started; a handler still running when
 * the grace period ends is interrupted and its message returned as well. Nothing is lost and, for handlers that
 * finish in time, nothing is delivered twice. The worker drains its {@link Connection} itself: the connection must
 * not be registered with a {@link org.kombu4j.hub.Hub}.
 */
public final class Worker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    /** The default prefetch is this many messages per handler thread, as Celery's {@code worker_prefetch_multiplier}. */
    public static final int PREFETCH_MULTIPLIER = 4;
    /** The grace period of {@link #close()} and of a stop after a handler failure under {@link HandlerFailure#STOP}. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);
    /** How long the whole prefetch may be held unacknowledged, with no message settled, before a warning. */
    public static final Duration DEFAULT_PREFETCH_WARNING = Duration.ofSeconds(30);

    /** How long one drain step waits: bounds how late a stop is noticed on an idle connection. */
    private static final Duration DRAIN_STEP = Duration.ofMillis(100);
    private static final long CHECK_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Tells a handler thread to end. */
    private static final Object END = new Object();

    private enum State { NEW, RUNNING, STOPPING, TERMINATED }

    private final Connection connection;
    private final Ticker ticker;
    /** The handler and what goes with it, as the builder set them. */
    private final Handling handling;
    private final List<Queue> queues;
    private final int concurrency;
    private final int prefetch;
    private final RetryPolicy reconnect;
    private final Duration grace;
    private final Duration prefetchWarning;
    private final String name;
    private final @Nullable ThreadFactory handlerThreads;
    private final @Nullable Thread shutdownHook;

    private final Object lock = new Object();
    private State state = State.NEW;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile boolean stopRequested;
    /** When a stop's grace period ends ({@link Ticker#nanoTime()}); read once {@link #stopRequested} is set. */
    private volatile long stopDeadline;
    private volatile @Nullable Throwable failure;
    private volatile @Nullable ConsumerLoop loop;
    private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Taken from the broker, not yet started by a handler thread (and {@link #END} markers). */
    private final LinkedBlockingQueue<Object> ready = new LinkedBlockingQueue<>();
    /**
     * Taken and not settled, counted per connection (a reconnect's closed channel gave the broker back what the
     * previous one held); each message's settle hook counts down before its settlement reaches the channel.
     */
    private volatile AtomicInteger unsettled = new AtomicInteger();
    /** The message each busy handler thread runs. */
    private final Map<Thread, Message> running = new ConcurrentHashMap<>();
    /** Messages the worker itself returned after the grace period, so that a late settlement by the handler is no failure. */
    private final Set<Message> returned = ConcurrentHashMap.newKeySet();
    private final AtomicInteger handlerSeq = new AtomicInteger();
    private volatile long lastSettled;
    // Loop-thread state.
    private @Nullable Consumer consumer;
    private volatile boolean stopTaking;
    private long lastCheck;
    private long fullSince;
    private boolean prefetchWarned;

    private Worker(Builder b, Handling handling) {
        this.connection = b.settings.connection();
        this.ticker = connection.ticker();
        this.handling = handling;
        this.queues = handling.queues;
        this.concurrency = b.concurrency;
        this.prefetch = b.prefetch > 0 ? b.prefetch : PREFETCH_MULTIPLIER * b.concurrency;
        this.reconnect = b.reconnect;
        this.grace = b.grace;
        this.prefetchWarning = b.prefetchWarning;
        this.name = b.name;
        this.handlerThreads = b.virtualThreads ? virtualThreadFactory(name + "-") : null;
        Duration hookGrace = b.hookGrace;
        this.shutdownHook = hookGrace == null ? null : new Thread(() -> stop(hookGrace), name + "-shutdown");
    }

    public static Builder builder(Connection connection) {
        return new Builder(connection);
    }

    /** Starts the worker on a thread of its own and returns at once. */
    public Worker start() {
        begin();
        Thread t = new Thread(() -> {
            try {
                loop();
            } catch (RuntimeException | Error e) {
                log.error("worker '{}' ended with an error", name, e);
            }
        }, name + "-loop");
        t.start();
        return this;
    }

    /**
     * Runs the worker on the calling thread until it is stopped ({@link #stop(Duration)}, {@link #close()}, the
     * shutdown hook) and every handler thread has ended.
     *
     * @throws HandlerFailedException if a handler failed under {@link HandlerFailure#STOP} (after the worker stopped)
     * @throws KombuException what ended the {@link ConsumerLoop}, e.g. a connection lost for longer than the
     *     reconnect policy allows
     */
    public void run() {
        begin();
        loop();
    }

    private void begin() {
        synchronized (lock) {
            if (state != State.NEW) {
                throw new IllegalStateException("worker '" + name + "' was started already (or stopped before starting)");
            }
            state = State.RUNNING;
        }
        if (shutdownHook != null) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    private void loop() {
        lastSettled = ticker.nanoTime();
        for (int i = 0; i < concurrency; i++) {
            Thread t = handlerThreads != null ? handlerThreads.newThread(this::handlerLoop)
                    : new Thread(this::handlerLoop, name + "-" + handlerSeq.incrementAndGet());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        ConsumerLoop l = ConsumerLoop.builder(connection, this::consumers).reconnect(reconnect).drainTimeout(DRAIN_STEP)
                .onIteration(this::onIteration).build();
        loop = l;
        Throwable ended = null;
        try {
            l.run();
        } catch (RuntimeException | Error e) {
            ended = e;
        } finally {
            finish();
        }
        Throwable f = failure; // a handler's under HandlerFailure.STOP
        if (f == null && ended == null) {
            return;
        }
        Throwable t = f != null ? f : ended;
        if (f != null && ended != null) {
            f.addSuppressed(ended);
        }
        failure = t;
        if (t instanceof RuntimeException re) {
            throw re;
        }
        throw (Error) t;
    }

    /** The loop's consumer factory: called on each (re)connect. */
    private List<Consumer> consumers(Connection c) {
        // Whatever waits from a previous connection went back to its queue when that connection's channel closed.
        List<Object> stale = new ArrayList<>();
        ready.drainTo(stale);
        unsettled = new AtomicInteger();
        if (stopTaking) {
            consumer = null;
            return List.of(); // reconnected while stopping: take nothing more, only wait for the handlers
        }
        // The worker warns about a full prefetch itself, counting exactly (held()); the consumer need not.
        Consumer.Builder b = Consumer.builder(c).queues(queues).prefetch(prefetch).prefetchWarning(Duration.ZERO)
                .observeHandlers(false).onRawMessage(this::take);
        List<String> accept = handling.accept;
        if (accept != null) {
            b.accept(accept.toArray(String[]::new));
        }
        Consumer made = b.build();
        consumer = made;
        return List.of(made);
    }

    /** On the loop thread: a delivery. */
    private void take(Message m) {
        if (stopTaking) {
            m.reject(true); // arrived after the stop: back to its queue at once
            return;
        }
        AtomicInteger count = unsettled;
        m.onSettle(() -> {
            count.decrementAndGet();
            lastSettled = ticker.nanoTime();
        });
        count.incrementAndGet();
        ready.add(m);
    }

    private void handlerLoop() {
        Thread self = Thread.currentThread();
        while (true) {
            Object next;
            try {
                next = ready.take();
            } catch (InterruptedException e) {
                continue; // an interrupt meant for a handler that had ended just before
            }
            if (next == END) {
                return;
            }
            Message m = (Message) next;
            running.put(self, m);
            try {
                org.kombu4j.observe.KombuObserver obs = connection.observer();
                if (obs == null) {
                    handle(m);
                } else {
                    Object token = obs.handling(m);
                    long start = System.nanoTime();
                    Throwable error = handle(m);
                    obs.handled(m, token, System.nanoTime() - start, error);
                }
            } finally {
                running.remove(self);
                Thread.interrupted();
            }
        }
    }

    /** Runs the handler on {@code m}; returns what it threw (handled per the failure policy already), or null. */
    private @Nullable Throwable handle(Message m) {
        try {
            handling.handle(m);
            return null;
        } catch (OperationalException | ClosedException e) {
            // A settlement on a lost or closed connection: the broker has the message back and delivers it again.
            log.warn("worker '{}': message {} from queue '{}' could not be settled ({}); the broker delivers it again",
                    name, m.deliveryInfo().deliveryTag(), m.deliveryInfo().queue(), e.getMessage());
            return e;
        } catch (MessageStateException e) {
            if (returned.remove(m)) {
                log.warn("worker '{}': the handler of message {} from queue '{}' ended after the grace period; the message"
                        + " was returned to its queue already", name, m.deliveryInfo().deliveryTag(), m.deliveryInfo().queue());
            } else {
                handlerFailed(m, e);
            }
            return e;
        } catch (Exception | AssertionError e) { // any handler failure, checked ones thrown sneakily included
            handlerFailed(m, e);
            return e;
        }
    }

    private void handlerFailed(Message m, Throwable error) {
        DeliveryInfo d = m.deliveryInfo();
        HandlerFailure policy = handling.onHandlerFailure != null ? handling.onHandlerFailure
                : handling.deadLettered.contains(d.queue()) ? HandlerFailure.REJECT : HandlerFailure.REQUEUE;
        if (policy == HandlerFailure.STOP) {
            log.error("worker '{}': handler failed on message {} from queue '{}'; stopping the worker", name, d.deliveryTag(),
                    d.queue(), error);
            HandlerFailedException e = new HandlerFailedException(d.queue(), d.deliveryTag(), d.consumerTag(), error);
            synchronized (lock) {
                if (failure == null) {
                    failure = e;
                }
            }
            requestStop(grace);
            return;
        }
        boolean requeue = policy == HandlerFailure.REQUEUE;
        log.error("worker '{}': handler failed on message {} from queue '{}'; {}", name, d.deliveryTag(), d.queue(),
                m.isSettled() ? "it was settled already" : requeue ? "requeuing it" : "rejecting it", error);
        if (!m.isSettled()) {
            try {
                m.reject(requeue);
            } catch (KombuException e) {
                log.warn("worker '{}': could not settle message {} from queue '{}' ({}); the broker delivers it again",
                        name, d.deliveryTag(), d.queue(), e.getMessage());
            }
        }
    }

    /** On the loop thread after each drain step: the prefetch watch and the stop's steps. */
    private void onIteration() {
        long now = ticker.nanoTime();
        if (now - lastCheck >= CHECK_INTERVAL_NANOS) {
            lastCheck = now;
            checkPrefetch(now);
        }
        if (!stopRequested) {
            return;
        }
        if (!stopTaking) {
            stopTaking = true;
            Consumer c = consumer;
            if (c != null) {
                c.cancel();
            }
        }
        returnNotStarted(true);
        boolean overdue = now - stopDeadline >= 0;
        if (!running.isEmpty() && !overdue) {
            return;
        }
        for (Map.Entry<Thread, Message> e : running.entrySet()) {
            Message m = e.getValue();
            if (m.isSettled()) {
                continue;
            }
            returned.add(m);
            try {
                m.reject(true);
                log.warn("worker '{}': the handler of message {} from queue '{}' still runs after the grace period; the"
                        + " message goes back to its queue and the handler is interrupted", name,
                        m.deliveryInfo().deliveryTag(), m.deliveryInfo().queue());
            } catch (MessageStateException settled) {
                returned.remove(m); // the handler settled it meanwhile
            }
            e.getKey().interrupt();
        }
        Objects.requireNonNull(loop).stop();
    }

    /** Returns what no handler started: rejected with requeue while the channel is open, else just forgotten. */
    private void returnNotStarted(boolean reject) {
        List<Object> waiting = new ArrayList<>();
        ready.drainTo(waiting);
        for (Object o : waiting) {
            if (o == END) {
                continue;
            }
            Message m = (Message) o;
            if (reject) {
                try {
                    m.reject(true);
                } catch (KombuException e) {
                    log.debug("could not return message {}; its channel's close returns it", m.deliveryInfo().deliveryTag(), e);
                }
            }
        }
    }

    private void checkPrefetch(long now) {
        if (prefetchWarning.isZero()) {
            return;
        }
        int h = held();
        if (h < prefetch) {
            fullSince = 0;
            prefetchWarned = false;
            return;
        }
        if (fullSince == 0) {
            fullSince = now;
        }
        long stuck = now - Math.max(fullSince, lastSettled);
        if (!prefetchWarned && stuck >= prefetchWarning.toNanos()) {
            prefetchWarned = true;
            log.warn("worker '{}' has held its whole prefetch ({} messages) unacknowledged for {} s, none settled meanwhile:"
                    + " it takes no more messages until its handlers ack or reject them (a handler that forgets to, or hangs?)",
                    name, h, TimeUnit.NANOSECONDS.toSeconds(stuck));
        }
    }

    /** After the loop ended, on its thread: ends the handler threads and marks the worker terminated. */
    private void finish() {
        stopTaking = true;
        synchronized (lock) {
            state = State.STOPPING;
            if (!stopRequested) {
                stopDeadline = ticker.nanoTime() + grace.toNanos();
                stopRequested = true;
            }
        }
        returnNotStarted(false); // the loop closed the channel: the broker has them back
        unsettled = new AtomicInteger();
        for (int i = 0; i < threads.size(); i++) {
            ready.add(END);
        }
        for (Thread t : threads) {
            joinUntil(t, stopDeadline);
            if (t.isAlive()) {
                t.interrupt();
                joinUntil(t, ticker.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            }
        }
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is shutting down: hooks can no longer be removed, nor need to be.
            }
        }
        synchronized (lock) {
            state = State.TERMINATED;
        }
        terminated.countDown();
    }

    private void joinUntil(Thread t, long deadline) {
        long left = deadline - ticker.nanoTime();
        try {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void requestStop(Duration gracePeriod) {
        ConfigurationException.requireNonNegative(gracePeriod, "grace period");
        synchronized (lock) {
            switch (state) {
                case NEW -> {
                    state = State.TERMINATED;
                    stopRequested = true;
                    terminated.countDown();
                }
                case RUNNING -> {
                    stopDeadline = ticker.nanoTime() + gracePeriod.toNanos();
                    stopRequested = true;
                    state = State.STOPPING;
                }
                case STOPPING -> {
                    long d = ticker.nanoTime() + gracePeriod.toNanos();
                    if (d - stopDeadline < 0) {
                        stopDeadline = d; // a later stop may shorten the grace, never lengthen it
                    }
                }
                case TERMINATED -> { }
            }
        }
    }

    /**
     * Stops the worker: it takes no more messages, returns those taken but not started to their queues, waits up to
     * {@code grace} for the handlers in flight, then returns the messages of handlers still running (and interrupts
     * them). Safe from any thread and more than once; from a handler thread it only asks for the stop.
     *
     * @return whether the worker has terminated
     */
    public boolean stop(Duration grace) {
        requestStop(grace);
        Thread me = Thread.currentThread();
        if (running.containsKey(me) || threads.contains(me)) {
            return isTerminated();
        }
        if (awaitTermination(grace.plus(Duration.ofSeconds(1)))) {
            return true;
        }
        // The loop did not get to the stop (it waits to reconnect, or a drain step hangs): end it from here; its
        // consumer's channel closes, which returns what it held.
        ConsumerLoop l = loop;
        if (l != null) {
            l.stop();
        }
        running.keySet().forEach(Thread::interrupt);
        return awaitTermination(Duration.ofSeconds(5));
    }

    /** Waits up to {@code timeout} for the worker to terminate; true if it has. */
    public boolean awaitTermination(Duration timeout) {
        try {
            return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return isTerminated();
        }
    }

    /** Stops with the builder's grace period ({@link Builder#gracePeriod}, default 30 s); valid at any time, more than once. */
    @Override
    public void close() {
        stop(grace);
    }

    /** Whether the worker was started and has not terminated yet. */
    public boolean isRunning() {
        synchronized (lock) {
            return state == State.RUNNING || state == State.STOPPING;
        }
    }

    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /** What ended the worker, if anything did: a {@link HandlerFailedException} under {@link HandlerFailure#STOP}, a connection fault. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** Messages taken from the broker and not settled yet: never more than {@link #prefetch()}. */
    public int held() {
        return unsettled.get();
    }

    /** Handlers running now. */
    public int active() {
        return running.size();
    }

    public int concurrency() {
        return concurrency;
    }

    public int prefetch() {
        return prefetch;
    }

    /** Whether the handlers run on virtual threads. */
    public boolean usesVirtualThreads() {
        return handlerThreads != null;
    }

    @Override
    public String toString() {
        return "Worker(" + name + ", queues=" + queues.stream().map(Queue::name).toList() + ", concurrency=" + concurrency
                + ", prefetch=" + prefetch + ")";
    }

    /**
     * {@code Thread.ofVirtual().name(prefix, 0).factory()} on JDK 21 and later, found by reflection since kombu4j is
     * compiled for Java 17; null where there are no (final) virtual threads.
     */
    static @Nullable ThreadFactory virtualThreadFactory(String prefix) {
        if (Runtime.version().feature() < 21) {
            return null;
        }
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            Class<?> api = Class.forName("java.lang.Thread$Builder");
            Method named = api.getMethod("name", String.class, long.class);
            builder = named.invoke(builder, prefix, 1L);
            return (ThreadFactory) api.getMethod("factory").invoke(builder);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.debug("no virtual threads on this JVM; handlers run on platform threads", e);
            return null;
        }
    }

    /** Builds a {@link Worker}. */
    public static final class Builder {
        /** What {@link Consumer.Builder} shares: queues, accept list, handlers. */
        private final Handling.Settings settings;
        private int concurrency = Runtime.getRuntime().availableProcessors();
        private int prefetch;
        private RetryPolicy reconnect = ConsumerLoop.DEFAULT_RECONNECT;
        private Duration grace = DEFAULT_GRACE;
        private Duration prefetchWarning = DEFAULT_PREFETCH_WARNING;
        private @Nullable Duration hookGrace;
        private boolean virtualThreads = true;
        private String name = "kombu4j-worker";

        private Builder(Connection connection) {
            this.settings = new Handling.Settings(connection);
        }

        public Builder queues(Queue... values) {
            settings.queues(values);
            return this;
        }

        public Builder queues(List<Queue> values) {
            settings.queues(values);
            return this;
        }

        /** Content types or serializer names to decode, as {@link Consumer.Builder#accept}; unset: every registered serializer. */
        public Builder accept(String... values) {
            settings.accept(values);
            return this;
        }

        /** Handler threads (default: the number of processors). */
        public Builder concurrency(int value) {
            if (value < 1) {
                throw new ConfigurationException("concurrency must be >= 1, got " + value);
            }
            concurrency = value;
            return this;
        }

        /**
         * At most this many unacknowledged messages (default {@link #PREFETCH_MULTIPLIER} × concurrency). A worker
         * always has a bound: 0 (unlimited) is refused.
         */
        public Builder prefetch(int value) {
            if (value < 1) {
                throw new ConfigurationException("a worker's prefetch must be >= 1, got " + value);
            }
            prefetch = value;
            return this;
        }

        /** The handler, called on a handler thread with the decoded body; it acks or rejects the message. */
        public Builder onMessage(MessageHandler value) {
            settings.onMessage(value);
            return this;
        }

        /** Receive messages undecoded (call {@link Message#decode()} yourself); replaces {@link #onMessage}. */
        public Builder onRawMessage(java.util.function.Consumer<Message> value) {
            settings.onRawMessage(value);
            return this;
        }

        /**
         * What to do when a handler throws. Default: {@link HandlerFailure#REJECT} on a queue given with a dead-letter
         * exchange (the message goes there), {@link HandlerFailure#REQUEUE} on the others (see the class comment).
         * {@link HandlerFailure#STOP} stops the whole worker (its grace period applies) and leaves the message
         * unacknowledged, so it returns to its queue; {@link #run()} then throws {@link HandlerFailedException}.
         */
        public Builder onHandlerFailure(HandlerFailure value) {
            settings.onHandlerFailure(value);
            return this;
        }

        /** What to do with a message that cannot be decoded; the default is {@link Consumer.Builder#onDecodeError}'s. */
        public Builder onDecodeError(DecodeErrorHandler value) {
            settings.onDecodeError(value);
            return this;
        }

        /** Backoff between reconnects (default {@link ConsumerLoop#DEFAULT_RECONNECT}: for ever). */
        public Builder reconnect(RetryPolicy value) {
            reconnect = Objects.requireNonNull(value, "reconnect");
            return this;
        }

        /** The grace period of {@link Worker#close()} and of a stop after a handler failure (default 30 s). */
        public Builder gracePeriod(Duration value) {
            grace = ConfigurationException.requireNonNegative(value, "gracePeriod");
            return this;
        }

        /**
         * Warn (once, until messages are settled again) when the whole prefetch has been held unacknowledged this
         * long with none settled meanwhile (default 30 s; {@link Duration#ZERO}: never).
         */
        public Builder prefetchWarning(Duration value) {
            prefetchWarning = ConfigurationException.requireNonNegative(value, "prefetchWarning");
            return this;
        }

        /** Stops the worker with this grace period when the JVM shuts down (SIGTERM, {@code System.exit}). Off by default. */
        public Builder shutdownHook(Duration grace) {
            hookGrace = ConfigurationException.requireNonNegative(grace, "shutdownHook grace");
            return this;
        }

        /** Run handlers on virtual threads where the JVM has them (JDK 21+; the default), else on platform threads. */
        public Builder virtualThreads(boolean value) {
            virtualThreads = value;
            return this;
        }

        /** Names the worker's threads and log lines (default {@code kombu4j-worker}). */
        public Builder name(String value) {
            name = Objects.requireNonNull(value, "name");
            return this;
        }

        public Worker build() {
            return new Worker(this, settings.build("a worker"));
        }
    }
}
