package org.kombu4j;

import org.jspecify.annotations.Nullable;

/**
 * How a message arrived: the exchange and routing key it was published with, the queue it came
 * from, the consumer tag and channel-scoped delivery tag, and whether it was delivered before.
 */
public record DeliveryInfo(String exchange, String routingKey, String queue, @Nullable String consumerTag,
        long deliveryTag, boolean redelivered) {
}
