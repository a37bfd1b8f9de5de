package org.kombu4j;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.jspecify.annotations.Nullable;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * Kombu's SimpleQueue: a queue used like {@link java.util.concurrent.BlockingQueue} — {@link #put},
 * {@link #get(Duration)}, {@link #getNowait()}, {@link #size()}, {@link #clear()}. The queue is bound
 * to a direct exchange of the same name with the same routing key. Acknowledge each message you get
 * ({@link Message#ack()}); unacknowledged ones go back to the queue on {@link #close()}.
 *
 * <p>Not thread-safe: use one per thread. {@link #get(Duration)} drains the connection's events, so
 * the connection must not be registered with a hub.
 */
public final class SimpleQueue implements AutoCloseable {
    private final Connection connection;
    private final Queue queue;
    private final Producer producer;
    private final Deque<Message> buffer = new ArrayDeque<>();
    private @Nullable Consumer consumer;
    private long declaredIn = -1;

    SimpleQueue(Connection connection, String name) {
        this(connection, Queue.of(name, Exchange.direct(name), name));
    }

    /** A simple queue over an already defined queue; publishes go to its first binding. */
    public SimpleQueue(Connection connection, Queue queue) {
        this.connection = connection;
        this.queue = queue;
        Binding b = queue.bindings().isEmpty() ? Binding.of(Exchange.DEFAULT, queue.name()) : queue.bindings().get(0);
        this.producer = Producer.builder(connection).exchange(b.exchange()).routingKey(b.routingKey()).build();
    }

    public Queue queue() {
        return queue;
    }

    /** Publishes {@code body} into the queue. */
    public void put(@Nullable Object body) {
        put(body, PublishOptions.NONE);
    }

    public void put(@Nullable Object body, PublishOptions options) {
        long gen = connection.generation();
        if (declaredIn != gen || !connection.isConnected()) {
            connection.ensure(RetryPolicy.NONE, () -> Entities.declareQueue(connection.defaultChannel(), queue));
            declaredIn = connection.generation();
        }
        producer.publish(body, options);
    }

    /**
     * Waits up to {@code timeout} for a message.
     *
     * @throws EmptyQueueException if none arrived in time
     */
    public Message get(Duration timeout) {
        Message m = poll(timeout);
        if (m == null) {
            throw new EmptyQueueException("no message in queue '" + queue.name() + "' within " + timeout.toMillis() + " ms");
        }
        return m;
    }

    /** Waits up to {@code timeout} for a message; null if none arrived. */
    public @Nullable Message poll(Duration timeout) {
        ensureConsuming();
        Ticker ticker = connection.ticker();
        long deadline = ticker.nanoTime() + timeout.toNanos();
        while (buffer.isEmpty()) {
            long left = deadline - ticker.nanoTime();
            if (left <= 0) {
                break;
            }
            connection.drainEvents(Duration.ofNanos(left));
        }
        return buffer.pollFirst();
    }

    /**
     * Takes a message if one is ready, without waiting.
     *
     * @throws EmptyQueueException if the queue is empty
     */
    public Message getNowait() {
        Message m = buffer.pollFirst();
        if (m != null) {
            return m;
        }
        TransportChannel ch = connection.defaultChannel();
        Entities.declareQueue(ch, queue);
        TransportMessage d = ch.get(queue.name(), false);
        if (d == null) {
            throw new EmptyQueueException("queue '" + queue.name() + "' is empty");
        }
        org.kombu4j.observe.KombuObserver obs = connection.observer();
        Message got = new Message(d, ch, connection.serializers(), connection.compressors(), null, false, obs);
        if (obs != null) {
            obs.delivered(got);
            if (got.isRedelivered()) {
                obs.redelivered(got);
            }
        }
        return got;
    }

    private void ensureConsuming() {
        if (consumer == null) {
            // Unlimited, as Kombu's SimpleQueue: get() hands out messages its caller may keep unacknowledged.
            consumer = Consumer.builder(connection).queues(queue).prefetch(0).onRawMessage(buffer::addLast).consume();
        }
    }

    /** Ready messages in the queue (not counting ones buffered here). */
    public long size() {
        TransportChannel ch = connection.defaultChannel();
        return ch.declareQueue(queue, false).messageCount();
    }

    /** Purges the queue; returns how many messages were removed. */
    public long clear() {
        TransportChannel ch = connection.defaultChannel();
        Entities.declareQueue(ch, queue);
        return ch.purge(queue.name());
    }

    /** Stops consuming; buffered and unacknowledged messages go back to the queue. */
    @Override
    public void close() {
        buffer.clear();
        if (consumer != null) {
            consumer.close();
            consumer = null;
        }
    }
}
