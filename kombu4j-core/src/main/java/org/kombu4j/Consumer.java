package org.kombu4j;

import com.fasterxml.jackson.core.type.TypeReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.kombu4j.observe.KombuObserver;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one or more queues on a channel of its own, with its own prefetch limit, and hands each
 * message to a handler. Messages arrive on the thread that calls {@link Connection#drainEvents} (or
 * the hub's thread after {@link Connection#registerWithEventLoop}).
 *
 * <pre>{@code
 * try (Consumer c = conn.consumer(queue).accept("json").prefetch(10)
 *         .onMessage((body, msg) -> { handle(body); msg.ack(); }).consume()) {
 *     for (Boolean ignored : EventLoop.iterate(conn, 100, Duration.ofSeconds(1), true)) { }
 * }
 * }</pre>
 *
 * <p>{@link Builder#onMessage(Class, TypedMessageHandler)} hands each body over converted into a class instead.
 *
 * <p>A message that cannot be decoded (bad body, unknown compression, content type outside the
 * accept list, a body that does not fit the class a typed handler asked for) never reaches
 * {@code onMessage}: it goes to the decode-error handler. On a queue given with a dead-letter exchange
 * ({@link Queue.Builder#deadLetter}) the default, {@link #LOG_AND_DEAD_LETTER}, logs it and dead-letters it
 * (reason {@code undecodable}). Elsewhere the default, {@link #LOG_AND_KEEP}, logs it at ERROR (queue, content
 * type, reason) and leaves it unacknowledged: it is neither lost nor redelivered in a hot loop, and goes back to
 * its queue, marked redelivered, when the consumer closes. It still holds one prefetch slot until then.
 *
 * <p>A handler that throws is a handler failure, handled by the consumer's {@link HandlerFailure}
 * policy ({@link Builder#onHandlerFailure}), the same on every transport: by default
 * {@link HandlerFailure#STOP}, the consumer stops and {@code drainEvents} throws
 * {@link HandlerFailedException}.
 */
public final class Consumer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Consumer.class);

    /** The default decode-error handler: log at ERROR and leave the message unacknowledged. */
    public static final DecodeErrorHandler LOG_AND_KEEP = (message, error) ->
            log.error("cannot decode message {} from queue '{}' (content type {}, encoding {}): {}; it stays unacknowledged"
                    + " and returns to the queue when this consumer closes", message.deliveryInfo().deliveryTag(),
                    message.deliveryInfo().queue(), message.contentType(), message.contentEncoding(), error.getMessage());

    /** A decode-error handler that logs at ERROR and rejects the message without requeue (dead-letters it where the broker can). */
    public static final DecodeErrorHandler LOG_AND_REJECT = (message, error) -> {
        log.error("cannot decode message from queue '{}' (content type {}, encoding {}): {}; rejecting it",
                message.deliveryInfo().queue(), message.contentType(), message.contentEncoding(), error.getMessage());
        if (!message.isSettled()) {
            message.reject(false);
        }
    };

    /**
     * A decode-error handler that logs at ERROR and dead-letters the message with the reason
     * {@link org.kombu4j.transport.DeadLetters#UNDECODABLE}. The default for queues given with a dead-letter exchange
     * ({@link Queue.Builder#deadLetter}); on a queue without one it would drop the message.
     */
    public static final DecodeErrorHandler LOG_AND_DEAD_LETTER = (message, error) -> {
        log.error("cannot decode message from queue '{}' (content type {}, encoding {}): {}; dead-lettering it",
                message.deliveryInfo().queue(), message.contentType(), message.contentEncoding(), error.getMessage());
        if (!message.isSettled()) {
            message.deadLetter(org.kombu4j.transport.DeadLetters.UNDECODABLE);
        }
    };

    /**
     * The prefetch of a consumer that does not set one (and is not no-ack): a bound, so that a handler that forgets
     * to acknowledge holds 100 messages, not the whole queue.
     */
    public static final int DEFAULT_PREFETCH = 100;

    /** How long a consumer may hold its whole prefetch unacknowledged before it logs a warning, unless told otherwise. */
    public static final Duration DEFAULT_PREFETCH_WARNING = Duration.ofSeconds(30);

    private final Connection connection;
    private final List<Queue> queues;
    private final @Nullable Set<String> accept;
    private final int prefetch;
    private final boolean noAck;
    private final boolean autoDeclare;
    /** The handler and what goes with it, as the builder set them. */
    private final Handling handling;
    private final HandlerFailure onHandlerFailure;
    private final @Nullable KombuObserver observer;
    /** False for a {@link Worker}'s consumer: the worker times its handlers on its own threads. */
    private final boolean observeHandlers;
    private final Map<String, String> tagsByQueue = new LinkedHashMap<>();
    private @Nullable TransportChannel channel;
    private boolean closed;
    /** Set when a handler failed under {@link HandlerFailure#STOP}: deliveries still on their way are not handled. */
    private volatile boolean stopped;
    private final long prefetchWarningNanos;
    /** Messages handed to the handler and maybe not settled yet (pruned of settled ones), when the warning is on. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Held> held = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile boolean prefetchWarned;
    private final java.util.concurrent.atomic.AtomicInteger addedSincePrune = new java.util.concurrent.atomic.AtomicInteger();
    /** How many times this consumer warned that it held its whole prefetch (for tests). */
    final java.util.concurrent.atomic.AtomicInteger prefetchWarnings = new java.util.concurrent.atomic.AtomicInteger();

    private record Held(Message message, long since) {}

    private Consumer(Builder b, Handling handling) {
        this.connection = b.settings.connection();
        this.handling = handling;
        this.queues = new ArrayList<>(handling.queues);
        this.accept = handling.accept == null ? null : connection.serializers().acceptContentTypes(handling.accept);
        this.prefetch = b.prefetch != null ? b.prefetch : b.noAck ? 0 : DEFAULT_PREFETCH;
        this.noAck = b.noAck;
        this.autoDeclare = b.autoDeclare;
        this.onHandlerFailure = handling.onHandlerFailure != null ? handling.onHandlerFailure : HandlerFailure.STOP;
        this.observer = connection.observer();
        this.observeHandlers = b.observeHandlers;
        this.prefetchWarningNanos = noAck || prefetch == 0 ? 0 : b.prefetchWarning.toNanos();
    }

    public static Builder builder(Connection connection) {
        return new Builder(connection);
    }

    /** Declares the queues (unless auto-declare is off), sets the prefetch and starts consuming. Idempotent. */
    public synchronized Consumer consume() {
        checkOpen();
        stopped = false;
        TransportChannel ch = channel();
        for (Queue q : queues) {
            startQueue(ch, q);
        }
        if (prefetchWarningNanos > 0) {
            PrefetchWatch.watch(this);
        }
        return this;
    }

    private void startQueue(TransportChannel ch, Queue q) {
        if (tagsByQueue.containsKey(q.name())) {
            return;
        }
        if (autoDeclare) {
            Entities.declareQueue(ch, q);
        }
        String tag = ch.consume(q.name(), null, noAck, d -> receive(ch, d));
        tagsByQueue.put(q.name(), tag);
    }

    private synchronized TransportChannel channel() {
        if (channel == null || !channel.isOpen()) {
            channel = connection.channel();
            tagsByQueue.clear();
            if (prefetch > 0) {
                channel.qos(prefetch);
            }
        }
        return channel;
    }

    private void receive(TransportChannel ch, TransportMessage delivery) {
        if (stopped) {
            return; // stays unacknowledged, back to its queue when the consumer closes, as the one that failed
        }
        KombuObserver obs = observer;
        Message message = new Message(delivery, ch, connection.serializers(), connection.compressors(), accept, noAck, obs);
        if (obs != null) {
            obs.delivered(message);
            if (message.isRedelivered()) {
                obs.redelivered(message);
            }
        }
        if (prefetchWarningNanos > 0) {
            held.add(new Held(message, System.nanoTime()));
            // Pruned every prefetch deliveries (the queue's size() walks it): a pass per message would cost O(prefetch).
            if (addedSincePrune.incrementAndGet() >= prefetch) {
                addedSincePrune.set(0);
                held.removeIf(h -> h.message().isSettled());
            }
        }
        try {
            if (obs != null && observeHandlers) {
                observedHandle(obs, message);
            } else {
                handle(message);
            }
        } catch (OperationalException | ClosedException e) {
            // A broker fault (an ack on a lost connection: ConsumerLoop reconnects) or a close from another
            // thread (the drain ends with it): not the handler's failure.
            throw e;
        } catch (Exception e) { // any handler failure, checked ones thrown sneakily included
            handlerFailed(message, e);
        }
    }

    /** {@link #handle} with the observer told around it, on this thread (a tracer's scope stays current inside). */
    private void observedHandle(KombuObserver obs, Message message) {
        Object token = obs.handling(message);
        long start = System.nanoTime();
        Throwable error = null;
        try {
            handle(message);
        } catch (Throwable e) { // rethrown as it is: handler failures thrown sneakily included
            error = e;
            throw e;
        } finally {
            obs.handled(message, token, System.nanoTime() - start, error);
        }
    }

    private void handle(Message message) {
        handling.handle(message);
    }

    private void handlerFailed(Message message, Exception error) {
        DeliveryInfo d = message.deliveryInfo();
        switch (onHandlerFailure) {
            case STOP -> {
                stopped = true;
                cancel();
                throw new HandlerFailedException(d.queue(), d.deliveryTag(), d.consumerTag(), error);
            }
            case REQUEUE, REJECT -> {
                boolean requeue = onHandlerFailure == HandlerFailure.REQUEUE;
                log.error("handler of consumer '{}' failed on message {} from queue '{}'; {}", d.consumerTag(),
                        d.deliveryTag(), d.queue(), message.isSettled() ? "it was settled already"
                                : requeue ? "requeuing it" : "rejecting it", error);
                if (!message.isSettled()) {
                    message.reject(requeue);
                }
            }
        }
    }

    /** Adds a queue; if consuming, starts consuming it at once. */
    public synchronized void addQueue(Queue queue) {
        checkOpen();
        if (queues.stream().noneMatch(q -> q.name().equals(queue.name()))) {
            queues.add(queue);
            handling.consumes(queue); // its decode errors are dead-lettered by default too, if it says where
        }
        if (!tagsByQueue.isEmpty()) {
            startQueue(channel(), queue);
        }
    }

    /** Stops consuming one queue. */
    public synchronized void cancelByQueue(String queue) {
        String tag = tagsByQueue.remove(queue);
        if (tag != null && channel != null) {
            channel.cancel(tag);
        }
    }

    /** Stops consuming every queue; unacknowledged messages stay so until settled or the consumer closes. */
    public synchronized void cancel() {
        if (channel != null && channel.isOpen()) {
            for (String tag : tagsByQueue.values()) {
                channel.cancel(tag);
            }
        }
        tagsByQueue.clear();
    }

    /** Whether the consumer is consuming. */
    public synchronized boolean isConsuming() {
        return !tagsByQueue.isEmpty();
    }

    /** Changes the prefetch limit of this consumer's channel (0 = unlimited). */
    public synchronized void qos(int prefetchCount) {
        if (prefetchCount < 0) {
            throw new ConfigurationException("prefetch must be >= 0, got " + prefetchCount);
        }
        channel().qos(prefetchCount);
    }

    /** Redelivers this consumer's unacknowledged messages. */
    public synchronized void recover(boolean requeue) {
        channel().recover(requeue);
    }

    /** Purges every queue of this consumer; returns how many messages were removed. */
    public synchronized long purge() {
        long n = 0;
        TransportChannel ch = channel();
        for (Queue q : queues) {
            n += ch.purge(q.name());
        }
        return n;
    }

    public synchronized List<Queue> queues() {
        return Collections.unmodifiableList(new ArrayList<>(queues));
    }

    public Connection connection() {
        return connection;
    }

    private void checkOpen() {
        if (closed) {
            throw new ClosedException("consumer is closed");
        }
    }

    /**
     * Called about once a second by {@link PrefetchWatch}: warns, once per episode, when every message of a full
     * prefetch has been held unacknowledged for longer than the warning's time, since the consumer then takes nothing
     * more — a handler that forgets to ack, or hangs, stalls it without a word otherwise.
     */
    void checkPrefetch(long now) {
        held.removeIf(h -> h.message().isSettled());
        int n = 0;
        long newest = Long.MIN_VALUE;
        for (Held h : held) {
            n++;
            newest = Math.max(newest, h.since());
        }
        if (n < prefetch) {
            prefetchWarned = false;
            return;
        }
        if (!prefetchWarned && now - newest >= prefetchWarningNanos) {
            prefetchWarned = true;
            prefetchWarnings.incrementAndGet();
            log.warn("consumer of {} has held its whole prefetch ({} messages) unacknowledged for more than {}:"
                    + " it takes no more messages until they are acked or rejected (a handler that forgets to, or hangs?)",
                    queueNames(), n, prefetchWarningNanos >= TimeUnit.SECONDS.toNanos(1)
                            ? TimeUnit.NANOSECONDS.toSeconds(prefetchWarningNanos) + " s"
                            : TimeUnit.NANOSECONDS.toMillis(prefetchWarningNanos) + " ms");
        }
    }

    private synchronized List<String> queueNames() {
        List<String> names = new ArrayList<>();
        for (Queue q : queues) {
            names.add(q.name());
        }
        return names;
    }

    boolean isClosed() {
        return closed;
    }

    /** Cancels and closes the consumer's channel; unacknowledged messages go back to their queues. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        held.clear();
        TransportChannel ch = channel;
        channel = null;
        tagsByQueue.clear();
        if (ch != null && ch.isOpen()) {
            try {
                ch.close();
            } catch (KombuException e) {
                log.debug("error closing consumer channel", e);
            }
        }
    }

    /** Builds a {@link Consumer}. */
    public static final class Builder {
        /** What {@link Worker.Builder} shares: queues, accept list, handlers. */
        private final Handling.Settings settings;
        private @Nullable Integer prefetch;
        private boolean noAck;
        private boolean autoDeclare = true;
        private boolean observeHandlers = true;
        private Duration prefetchWarning = DEFAULT_PREFETCH_WARNING;

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

        /**
         * Content types (or serializer names: {@code json}, {@code text}, {@code raw}, {@code msgpack},
         * {@code yaml}) to decode; others are refused. Unset: every registered serializer.
         */
        public Builder accept(String... values) {
            settings.accept(values);
            return this;
        }

        /**
         * Log a warning (once, until it holds less again) when the consumer has held its whole prefetch unacknowledged
         * for longer than {@code value}; {@link Duration#ZERO} turns it off. Default {@link #DEFAULT_PREFETCH_WARNING}.
         */
        public Builder prefetchWarning(Duration value) {
            if (value.isNegative()) {
                throw new IllegalArgumentException("prefetchWarning must not be negative: " + value);
            }
            prefetchWarning = value;
            return this;
        }

        /**
         * At most this many unacknowledged messages at once; 0 = unlimited. Default {@link #DEFAULT_PREFETCH} (100),
         * or unlimited for a no-ack consumer, whose prefetch brokers ignore.
         */
        public Builder prefetch(int value) {
            if (value < 0) {
                throw new ConfigurationException("prefetch must be >= 0, got " + value);
            }
            prefetch = value;
            return this;
        }

        /** Messages are acknowledged on delivery: no ack, no redelivery. */
        public Builder noAck(boolean value) {
            noAck = value;
            return this;
        }

        /** Declare queues, their exchanges and bindings before consuming (default true). */
        public Builder autoDeclare(boolean value) {
            autoDeclare = value;
            return this;
        }

        /** The handler, given each body as decoded ({@code Map}, {@code List}, scalar, {@code String}, {@code byte[]}). */
        public Builder onMessage(MessageHandler value) {
            settings.onMessage(value);
            return this;
        }

        /**
         * The handler, given each body converted into {@code type} with the connection's ObjectMapper
         * ({@link Message#decode(Class)}): {@code onMessage(Task.class, (task, message) -> ...)}. A body that does not fit
         * {@code type} is a decode error, handled by {@link #onDecodeError} like any other: it never reaches the
         * handler and is never silently dropped.
         */
        public <T> Builder onMessage(Class<T> type, TypedMessageHandler<? super T> handler) {
            settings.onMessage(settings.connection().serializers().javaType(Objects.requireNonNull(type, "type")), handler);
            return this;
        }

        /** {@link #onMessage(Class, TypedMessageHandler)} for a generic type, e.g. {@code new TypeReference<List<Task>>() {}}. */
        public <T> Builder onMessage(TypeReference<T> type, TypedMessageHandler<? super T> handler) {
            settings.onMessage(settings.connection().serializers().javaType(Objects.requireNonNull(type, "type").getType()), handler);
            return this;
        }

        /** Receive messages undecoded (call {@link Message#decode()} yourself); replaces {@link #onMessage}. */
        public Builder onRawMessage(java.util.function.Consumer<Message> value) {
            settings.onRawMessage(value);
            return this;
        }

        /**
         * What to do with a message that cannot be decoded. Default: {@link #LOG_AND_DEAD_LETTER} for a queue given
         * with a dead-letter exchange, {@link #LOG_AND_KEEP} for the others.
         */
        public Builder onDecodeError(DecodeErrorHandler value) {
            settings.onDecodeError(value);
            return this;
        }

        /**
         * What to do with a message whose handler (message, raw or decode-error handler) throws:
         * {@link HandlerFailure#STOP} (the default: stop consuming, keep the message unacknowledged,
         * throw {@link HandlerFailedException} out of {@code drainEvents}), {@link HandlerFailure#REQUEUE}
         * or {@link HandlerFailure#REJECT} (settle it so, log, go on). An {@link OperationalException}
         * or {@link ClosedException} from the handler (say an ack on a lost or closed connection) is not
         * a handler failure: it propagates as is.
         */
        public Builder onHandlerFailure(HandlerFailure value) {
            settings.onHandlerFailure(value);
            return this;
        }

        /** Whether this consumer tells observers of handler runs; a {@link Worker} does that on its own threads. */
        Builder observeHandlers(boolean value) {
            observeHandlers = value;
            return this;
        }

        public Consumer build() {
            return new Consumer(this, settings.build("a consumer"));
        }

        /** Builds the consumer and starts consuming. */
        public Consumer consume() {
            return build().consume();
        }
    }
}
