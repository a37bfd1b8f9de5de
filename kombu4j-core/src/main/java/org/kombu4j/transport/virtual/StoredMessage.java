package org.kombu4j.transport.virtual;

import java.util.Objects;
import org.kombu4j.transport.RawMessage;

/** A message in an emulated queue: its content, the exchange and key it was published with, and whether it is a redelivery. */
public record StoredMessage(RawMessage content, String exchange, String routingKey, boolean redelivered) {
    public StoredMessage {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
    }

    public StoredMessage asRedelivered() {
        return redelivered ? this : new StoredMessage(content, exchange, routingKey, true);
    }
}
