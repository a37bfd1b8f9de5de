package org.kombu4j;

import org.jspecify.annotations.Nullable;

/**
 * A message handler threw, and its consumer's policy is {@link HandlerFailure#STOP}: the consumer
 * stopped consuming and the message stays unacknowledged. The handler's exception is the cause;
 * the message names the queue, delivery tag and consumer tag.
 */
public class HandlerFailedException extends KombuException {
    private static final long serialVersionUID = 1L;

    private final String queue;
    private final long deliveryTag;
    private final @Nullable String consumerTag;

    public HandlerFailedException(String queue, long deliveryTag, @Nullable String consumerTag, Throwable cause) {
        super("handler of consumer '" + consumerTag + "' failed on message " + deliveryTag + " from queue '" + queue
                + "': " + cause + "; the consumer stopped and the message stays unacknowledged until it closes", cause);
        this.queue = queue;
        this.deliveryTag = deliveryTag;
        this.consumerTag = consumerTag;
    }

    /** The queue the message came from. */
    public String queue() {
        return queue;
    }

    /** The message's delivery tag on the consumer's channel. */
    public long deliveryTag() {
        return deliveryTag;
    }

    /** The tag of the consumer that stopped. */
    public @Nullable String consumerTag() {
        return consumerTag;
    }
}
