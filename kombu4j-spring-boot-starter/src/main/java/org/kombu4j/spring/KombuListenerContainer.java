package org.kombu4j.spring;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ClosedException;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.KombuException;
import org.kombu4j.Message;
import org.kombu4j.OperationalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link KombuListener} method: a connection of its own, drained by one thread (the taker), which hands
 * each message to a pool of {@code concurrency} handler threads and waits while all of them are busy, so the only
 * messages held are those in the consumer's prefetch. A handler's message is acknowledged from the handler thread
 * when the method returns: every transport's channel may be settled from any thread ({@code TransportChannel}'s
 * contract; Redis and SQL acknowledge through their command connections, AMQP through the client's channel), and
 * each settlement frees prefetch capacity for the taker.
 *
 * <p>Stopping ({@link #requestStop()} then {@link #awaitStop(long)}): the taker stops taking and cancels the
 * consumer, handlers in progress finish until the deadline, and closing the connection returns to the queue,
 * unacknowledged, every message not finished by then (including those prefetched but never handed over).
 * Connection faults make the taker reconnect with {@link ConsumerLoop#DEFAULT_RECONNECT}'s back-off and subscribe
 * again; what the lost connection held comes back from the broker.
 */
final class KombuListenerContainer {
    private static final Logger log = LoggerFactory.getLogger(KombuListenerContainer.class);
    /** How long the taker waits at most per step, so that a stop is seen within it. */
    private static final Duration STEP = Duration.ofMillis(100);
    private static final AtomicInteger IDS = new AtomicInteger();

    private final ListenerMethod listener;
    private final KombuConnectionFactory connections;
    private final List<String> accept;
    private final Duration shutdownTimeout;
    private final Semaphore idleHandlers;
    private final ThreadPoolExecutor handlers;
    private final String name;
    private @Nullable Connection connection;
    /** Touched by the taker thread only (and by {@link #awaitStop} after the taker ended). */
    private @Nullable Consumer consumer;
    private @Nullable Thread taker;
    private volatile boolean stopping;
    /** Past the shutdown deadline: handlers still running leave their messages to return to the queue. */
    private volatile boolean abandoning;
    /** Set when a handler failed under {@link org.kombu4j.HandlerFailure#STOP}. */
    private volatile @Nullable Exception failure;
    private volatile String state = "created";
    private boolean closed;

    KombuListenerContainer(ListenerMethod listener, KombuConnectionFactory connections, List<String> accept,
            Duration shutdownTimeout) {
        this.listener = listener;
        this.connections = connections;
        this.accept = List.copyOf(accept);
        this.shutdownTimeout = shutdownTimeout;
        this.name = "kombu4j-listener-" + IDS.incrementAndGet() + "-" + listener.queue().name();
        this.idleHandlers = new Semaphore(listener.concurrency());
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> new Thread(r, name + "-handler-" + n.incrementAndGet());
        this.handlers = new ThreadPoolExecutor(listener.concurrency(), listener.concurrency(), 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), threads);
    }

    /**
     * Connects, declares and subscribes, then starts the taker. A broker that cannot be reached now is retried by
     * the taker in the background; a configuration error (bad URL, refused login) fails here.
     */
    synchronized void start() {
        Connection c = connections.open();
        connection = c;
        try {
            subscribe(c);
        } catch (OperationalException e) {
            log.warn("listener {} on queue '{}' cannot subscribe yet ({}); retrying in the background", listener,
                    listener.queue().name(), e.getMessage());
            closeConsumerQuietly();
            c.resetTransport();
        } catch (RuntimeException e) {
            closeConsumerQuietly();
            c.close();
            throw e;
        }
        Thread t = new Thread(this::take, name);
        taker = t;
        t.start();
    }

    private void subscribe(Connection c) {
        c.connect();
        consumer = c.consumer(listener.queue()).accept(accept.toArray(String[]::new)).prefetch(listener.prefetch())
                .onMessage(this::handOver).consume();
        state = "consuming";
    }

    /** The taker thread: drains the connection, reconnecting after faults, until stopped or failed. */
    private void take() {
        Connection c = Objects.requireNonNull(connection);
        int attempt = 0;
        while (!stopping && failure == null) {
            try {
                if (consumer == null) {
                    subscribe(c);
                    attempt = 0;
                    log.info("listener {} subscribed to queue '{}' again", listener, listener.queue().name());
                }
                c.drainEvents(STEP);
            } catch (OperationalException e) {
                if (stopping) {
                    break;
                }
                state = "reconnecting: " + e.getMessage();
                closeConsumerQuietly();
                c.resetTransport();
                Duration delay = ConsumerLoop.DEFAULT_RECONNECT.delay(++attempt);
                log.warn("listener {}: connection to {} lost ({}); reconnecting in {} ms", listener, c.url().masked(),
                        e.getMessage(), delay.toMillis());
                sleepUnlessStopping(delay);
            } catch (ClosedException e) {
                break; // closed under us by awaitStop past its deadline
            } catch (RuntimeException e) {
                log.error("listener {} on queue '{}' ended by an unexpected error", listener, listener.queue().name(), e);
                failure = e;
            }
        }
        cancelQuietly();
        if (failure != null && !stopping) {
            // Stopped by its own failure: finish what runs and give back the rest now, not at application shutdown.
            state = "stopped: " + failure;
            finish(System.nanoTime() + shutdownTimeout.toNanos());
        }
    }

    /** On the taker thread: waits for an idle handler, then hands the message over; a stopping container keeps it. */
    private void handOver(@Nullable Object body, Message message) {
        try {
            while (!idleHandlers.tryAcquire(STEP.toMillis(), TimeUnit.MILLISECONDS)) {
                if (stopping || failure != null) {
                    return; // unacknowledged: back to the queue when the connection closes
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (stopping || failure != null) {
            idleHandlers.release();
            return;
        }
        try {
            handlers.execute(() -> {
                try {
                    handle(body, message);
                } finally {
                    idleHandlers.release();
                }
            });
        } catch (RejectedExecutionException e) {
            idleHandlers.release(); // shut down past the deadline while the taker still ran: the message goes back
        }
    }

    /** On a handler thread: calls the method, then acknowledges, or applies the failure policy. */
    private void handle(@Nullable Object body, Message message) {
        try {
            listener.invoke(body, message);
        } catch (Exception e) {
            failed(message, e);
            return;
        }
        try {
            if (!message.isSettled()) {
                message.ack();
            }
        } catch (KombuException e) {
            log.warn("listener {}: cannot acknowledge message {} ({}); it will be delivered again", listener,
                    message.deliveryInfo().deliveryTag(), e.getMessage());
        }
    }

    private void failed(Message message, Exception error) {
        if (abandoning) {
            log.warn("listener {} failed on message {} after the shutdown deadline ({}); it goes back to the queue",
                    listener, message.deliveryInfo().deliveryTag(), error.toString());
            return;
        }
        String queue = message.deliveryInfo().queue();
        long tag = message.deliveryInfo().deliveryTag();
        try {
            switch (listener.onFailure()) {
                case STOP -> {
                    failure = error;
                    log.error("listener {} failed on message {} from queue '{}'; stopping the listener (HandlerFailure.STOP):"
                            + " it and the messages held go back to the queue", listener, tag, queue, error);
                }
                case REQUEUE -> {
                    log.error("listener {} failed on message {} from queue '{}'; requeuing it", listener, tag, queue, error);
                    if (!message.isSettled()) {
                        message.requeue();
                    }
                }
                case REJECT -> {
                    log.error("listener {} failed on message {} from queue '{}'; rejecting it", listener, tag, queue, error);
                    if (!message.isSettled()) {
                        message.reject(false);
                    }
                }
            }
        } catch (KombuException e) {
            log.warn("listener {}: cannot settle message {} after its handler failed ({}); it will be delivered again",
                    listener, tag, e.getMessage());
        }
    }

    /** Stops taking messages; returns at once. Handlers in progress go on. */
    void requestStop() {
        stopping = true;
    }

    /**
     * After {@link #requestStop()}: waits until {@code deadlineNanos} ({@link System#nanoTime()}) for the taker and
     * the handlers in progress, then closes the connection, which returns what is left to the queue.
     */
    void awaitStop(long deadlineNanos) {
        stopping = true;
        Thread t;
        synchronized (this) {
            t = taker;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                // The taker sees the stop within one step; more only while it is connecting.
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()))
                        + 2 * STEP.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        finish(deadlineNanos);
    }

    /** Waits for the handlers until the deadline, then closes the consumer and the connection. Idempotent. */
    private synchronized void finish(long deadlineNanos) {
        if (closed) {
            return;
        }
        handlers.shutdown();
        boolean done = false;
        try {
            done = handlers.awaitTermination(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!done) {
            abandoning = true;
            int queued = handlers.shutdownNow().size();
            log.warn("listener {}: handlers still running after the shutdown timeout ({}); their messages and {} not"
                    + " started go back to queue '{}' unacknowledged", listener, shutdownTimeout, queued,
                    listener.queue().name());
        }
        closed = true;
        Thread t = taker;
        if (t == null || !t.isAlive() || t == Thread.currentThread()) {
            closeConsumerQuietly();
        }
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (KombuException e) {
                log.warn("listener {}: closing its connection reported: {}", listener, e.getMessage());
            }
        }
        if (failure == null) {
            state = "stopped";
        }
    }

    private void sleepUnlessStopping(Duration d) {
        long deadline = System.nanoTime() + d.toNanos();
        while (!stopping && System.nanoTime() < deadline) {
            try {
                Thread.sleep(Math.min(STEP.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void cancelQuietly() {
        Consumer co = consumer;
        if (co != null) {
            try {
                co.cancel();
            } catch (KombuException e) {
                log.debug("listener {}: cancel failed", listener, e);
            }
        }
    }

    private void closeConsumerQuietly() {
        Consumer co = consumer;
        consumer = null;
        if (co != null) {
            try {
                co.close();
            } catch (KombuException e) {
                log.debug("listener {}: closing its consumer failed", listener, e);
            }
        }
    }

    /** The queue consumed. */
    String queue() {
        return listener.queue().name();
    }

    /** {@code consuming}, {@code reconnecting: why}, {@code stopped}, {@code stopped: failure}. */
    String state() {
        return state;
    }

    /** Whether it still holds its connection. */
    synchronized boolean isActive() {
        return !closed;
    }
}
