package org.kombu4j.transport.virtual;

import org.jspecify.annotations.Nullable;
import org.kombu4j.Queue;

/**
 * A queue's dead-letter arguments as an emulating transport keeps them: where its dead letters go
 * ({@code x-dead-letter-exchange}, "" for the default exchange; null to drop them, as RabbitMQ does) under which
 * routing key ({@code x-dead-letter-routing-key}; null for the message's own), and {@code x-delivery-limit}
 * (-1 for none): a message delivered more than {@code deliveryLimit + 1} times is dead-lettered instead.
 */
public record DeadLetterPolicy(@Nullable String exchange, @Nullable String routingKey, int deliveryLimit) {
    public DeadLetterPolicy {
        if (deliveryLimit < -1) {
            throw new IllegalArgumentException("delivery limit must be >= 0 (or -1 for none), got " + deliveryLimit);
        }
    }

    /** The policy a queue declares, or null if it declares none of the three arguments. */
    public static @Nullable DeadLetterPolicy of(Queue queue) {
        Integer limit = queue.deliveryLimit();
        if (queue.deadLetterExchange() == null && queue.deadLetterRoutingKey() == null && limit == null) {
            return null;
        }
        return new DeadLetterPolicy(queue.deadLetterExchange(), queue.deadLetterRoutingKey(), limit == null ? -1 : Math.max(0, limit));
    }

    /** Whether deliveries are counted against a limit. */
    public boolean limited() {
        return deliveryLimit >= 0;
    }
}
