package org.kombu4j.transport;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A delivered message: its content and how it arrived. {@code deliveryTag} identifies it on its
 * channel for {@link TransportChannel#ack}/{@link TransportChannel#reject}.
 */
public record TransportMessage(RawMessage content, String exchange, String routingKey, boolean redelivered,
        long deliveryTag, @Nullable String consumerTag, String queue) {
    public TransportMessage {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(queue, "queue");
    }
}
