package org.kombu4j.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.Exchange;
import org.kombu4j.Queue;

/**
 * A channel: AMQP's unit of declarations, publishing, consuming and acknowledgement. Delivery tags
 * are per channel. Implementations are safe to call from several threads; deliveries are
 * dispatched as {@link Transport} describes.
 */
public interface TransportChannel extends AutoCloseable {
    /** Declares an exchange, or with {@code passive} checks it exists ({@link org.kombu4j.NotFoundException} if not). */
    void declareExchange(Exchange exchange, boolean passive);

    /**
     * Declares a queue (not its bindings), or with {@code passive} checks it exists
     * ({@link org.kombu4j.NotFoundException} if not).
     */
    QueueInfo declareQueue(Queue queue, boolean passive);

    void bind(String queue, Binding binding);

    void unbind(String queue, Binding binding);

    void deleteQueue(String queue);

    void deleteExchange(String exchange);

    /** Removes the ready messages of a queue; returns how many. */
    long purge(String queue);

    void publish(OutgoingMessage message);

    /**
     * Publishes without waiting for the broker to take the message, for batches: the returned future
     * completes once the broker has it (AMQP: its publisher confirm) or exceptionally with why not
     * (nacked, returned unroutable, channel lost). A failure to send at all is thrown here instead.
     * The default publishes synchronously, so the future is already complete.
     */
    default CompletableFuture<Void> publishTracked(OutgoingMessage message) {
        publish(message);
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Starts delivering {@code queue}'s messages to {@code handler}.
     *
     * @param consumerTag the tag to use, or null for one made up
     * @return the consumer tag
     */
    String consume(String queue, @Nullable String consumerTag, boolean noAck, DeliveryHandler handler);

    /** Stops a consumer; its unacknowledged messages stay unacknowledged until acked or the channel closes. */
    void cancel(String consumerTag);

    /** At most {@code prefetchCount} unacknowledged deliveries on this channel; 0 = unlimited. */
    void qos(int prefetchCount);

    /** Takes one message, or null if the queue is empty. */
    @Nullable TransportMessage get(String queue, boolean noAck);

    void ack(long deliveryTag);

    /**
     * Acknowledges without waiting for the broker to hear of it: where a transport batches acknowledgements
     * (Redis, on its event thread) the tag goes with the next batch; the default acknowledges at once. An
     * acknowledgement not yet sent when the connection is lost is lost with it, so the broker redelivers the
     * message, as after a failed {@link #ack}.
     */
    default void ackSoon(long deliveryTag) {
        ack(deliveryTag);
    }

    void reject(long deliveryTag, boolean requeue);

    /**
     * Rejects a delivery without requeue for {@code reason} ({@link DeadLetters}): where its queue has a
     * dead-letter exchange the message goes there with the reason recorded, otherwise it is dropped.
     * Transports that cannot record the reason reject it plainly.
     */
    default void deadLetter(long deliveryTag, String reason) {
        reject(deliveryTag, false);
    }

    /** Redelivers every unacknowledged message of this channel (marked redelivered). */
    void recover(boolean requeue);

    /** The queues the broker knows, where it can list them ({@link TransportCapabilities#canListQueues()}). */
    default List<QueueInfo> listQueues() {
        throw new UnsupportedOperationException("this transport cannot list queues");
    }

    /**
     * What a monitor shows of each queue ({@link #listQueues()} plus what the transport can count cheaply:
     * unacknowledged, delayed, rates). One call reads every queue once, so its cost on the broker is bounded
     * by the number of queues. The default has only {@link #listQueues()}'s fields.
     */
    default List<QueueStats> queueStats() {
        List<QueueInfo> queues = listQueues();
        List<QueueStats> out = new ArrayList<>(queues.size());
        for (QueueInfo q : queues) {
            out.add(QueueStats.of(q));
        }
        return out;
    }

    boolean isOpen();

    /** Closes the channel; unacknowledged messages go back to their queues marked redelivered. */
    @Override
    void close();
}
