package org.kombu4j.transport.virtual;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.transport.RawMessage;

/**
 * A message in an emulated queue: its content, the exchange and key it was published with, whether it
 * is a redelivery, the storage's own handle on this copy ({@code receipt}: a row id, say; null
 * where the storage needs none), which the transport uses to settle it, and how many times it was
 * delivered ({@code deliveries}: with a storage that counts, this delivery included; see
 * {@link VirtualChannel#countsDeliveries()}), which a queue's delivery limit is checked against.
 */
public record StoredMessage(RawMessage content, String exchange, String routingKey, boolean redelivered,
        @Nullable Object receipt, int deliveries) {
    public StoredMessage {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
    }

    /** A message never delivered. */
    public StoredMessage(RawMessage content, String exchange, String routingKey, boolean redelivered, @Nullable Object receipt) {
        this(content, exchange, routingKey, redelivered, receipt, 0);
    }

    /** A message with no receipt, never delivered. */
    public StoredMessage(RawMessage content, String exchange, String routingKey, boolean redelivered) {
        this(content, exchange, routingKey, redelivered, null, 0);
    }

    public StoredMessage asRedelivered() {
        return redelivered ? this : new StoredMessage(content, exchange, routingKey, true, receipt, deliveries);
    }

    /** This message with its delivery count set. */
    public StoredMessage withDeliveries(int count) {
        return new StoredMessage(content, exchange, routingKey, redelivered, receipt, count);
    }
}
