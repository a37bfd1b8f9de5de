package org.kombu4j.transport.virtual;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.transport.RawMessage;

/**
 * A message in an emulated queue: its content, the exchange and key it was published with, whether it
 * is a redelivery, and the storage's own handle on this copy ({@code receipt}: a row id, say; null
 * where the storage needs none), which the transport uses to settle it.
 */
public record StoredMessage(RawMessage content, String exchange, String routingKey, boolean redelivered,
        @Nullable Object receipt) {
    public StoredMessage {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
    }

    /** A message with no receipt. */
    public StoredMessage(RawMessage content, String exchange, String routingKey, boolean redelivered) {
        this(content, exchange, routingKey, redelivered, null);
    }

    public StoredMessage asRedelivered() {
        return redelivered ? this : new StoredMessage(content, exchange, routingKey, true, receipt);
    }
}
