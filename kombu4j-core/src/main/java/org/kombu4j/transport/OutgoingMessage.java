package org.kombu4j.transport;

import java.util.Objects;

/** A message to publish, with where it goes. {@code mandatory}: report it if no queue takes it. */
public record OutgoingMessage(String exchange, String routingKey, RawMessage content, boolean mandatory) {
    public OutgoingMessage {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(content, "content");
    }
}
