package org.kombu4j.transport;

import java.util.Objects;

/**
 * A message to publish, with where it goes. {@code mandatory}: report it if no queue takes it.
 * {@code deliverAt}: epoch milliseconds before which it must not be delivered, 0 for at once; only
 * transports with {@link TransportCapabilities#delayedDelivery()} are given a non-zero value.
 */
public record OutgoingMessage(String exchange, String routingKey, RawMessage content, boolean mandatory, long deliverAt) {
    public OutgoingMessage {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(content, "content");
        if (deliverAt < 0) {
            throw new IllegalArgumentException("deliverAt must not be negative, got " + deliverAt);
        }
    }

    /** A message due at once. */
    public OutgoingMessage(String exchange, String routingKey, RawMessage content, boolean mandatory) {
        this(exchange, routingKey, content, mandatory, 0);
    }

    /** Whether it waits until {@link #deliverAt}. */
    public boolean isDelayed() {
        return deliverAt != 0;
    }
}
