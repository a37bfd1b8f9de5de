package org.kombu4j;

/**
 * What a {@link Consumer} does with a message whose handler threw (its {@link MessageHandler}, raw
 * handler or decode-error handler), chosen per consumer with
 * {@link Consumer.Builder#onHandlerFailure}. The same on every transport: the policy runs in the
 * consumer, not in the transport.
 */
public enum HandlerFailure {
    /**
     * The default, as Kombu: the consumer stops consuming (cancels all its queues, so it takes
     * nothing more) and the message stays unacknowledged, going back to its queue, marked
     * redelivered, when the consumer (or its connection) closes. The handler's exception leaves
     * {@link Connection#drainEvents} as the cause of a {@link HandlerFailedException}, which ends
     * {@link ConsumerLoop#run()}. On a {@link org.kombu4j.hub.Hub} there is no drainEvents caller:
     * the consumer stops the same way and the hub logs the {@code HandlerFailedException} at ERROR
     * as a failed callback. Messages that reach a stopped consumer (already on their way) are not
     * handled and stay unacknowledged likewise. {@link Consumer#consume()} starts it again.
     */
    STOP,

    /**
     * Reject the message with requeue, so it is redelivered (marked redelivered, possibly to this
     * same consumer at once), log the failure at ERROR and go on. Beware of a handler that always
     * fails: the message comes back for ever.
     */
    REQUEUE,

    /**
     * Reject the message without requeue, so it is dead-lettered where the broker can (a RabbitMQ
     * queue with {@code x-dead-letter-exchange}) and dropped otherwise, log the failure at ERROR
     * and go on.
     */
    REJECT
}
