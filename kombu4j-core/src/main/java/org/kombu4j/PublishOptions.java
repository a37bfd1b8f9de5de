package org.kombu4j;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Per-publish options, Kombu's {@code Producer.publish} keywords: where the message goes, how its
 * body is serialized and compressed, its headers and properties, entities to declare first and the
 * retry policy. Immutable; start from {@link #builder()} or a shortcut such as
 * {@link #routingKey(String)}. Unset values fall back to the {@link Producer}'s.
 */
public final class PublishOptions {
    static final PublishOptions NONE = builder().build();

    final @Nullable Exchange exchange;
    final @Nullable String routingKey;
    final @Nullable String serializer;
    final @Nullable String compression;
    final @Nullable String contentType;
    final @Nullable String contentEncoding;
    final Map<String, Object> headers;
    final Map<String, Object> properties;
    final @Nullable Integer priority;
    final @Nullable Duration expiration;
    final @Nullable DeliveryMode deliveryMode;
    final List<Object> declare;
    final @Nullable RetryPolicy retry;
    final boolean mandatory;
    final @Nullable Duration countdown;
    final @Nullable Instant eta;

    private PublishOptions(Builder b) {
        this.exchange = b.exchange;
        this.routingKey = b.routingKey;
        this.serializer = b.serializer;
        this.compression = b.compression;
        this.contentType = b.contentType;
        this.contentEncoding = b.contentEncoding;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(b.properties));
        this.priority = b.priority;
        this.expiration = b.expiration;
        this.deliveryMode = b.deliveryMode;
        this.declare = Collections.unmodifiableList(new ArrayList<>(b.declare));
        this.retry = b.retry;
        this.mandatory = b.mandatory;
        this.countdown = b.countdown;
        this.eta = b.eta;
    }

    /** When the message is due, in epoch milliseconds from {@code nowMillis}; 0 if it is due at once. */
    long deliverAt(long nowMillis) {
        // Rounded up, never down: transports compare whole milliseconds, and a due time cut to the millisecond
        // below would let a message out up to 1 ms early (seen by the delayed benchmark). The clock's own
        // millisecond has partly passed already, so a countdown counts from the next one.
        if (eta != null) {
            long ms = eta.toEpochMilli();
            return Math.max(1, eta.getNano() % 1_000_000 != 0 ? ms + 1 : ms);
        }
        if (countdown != null && !countdown.isZero()) {
            long ms = countdown.toMillis();
            return nowMillis + 1 + (countdown.toNanosPart() % 1_000_000 != 0 ? ms + 1 : ms);
        }
        return 0;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options that only set the routing key. */
    public static PublishOptions routingKey(String routingKey) {
        return builder().routingKey(routingKey).build();
    }

    /** Builds {@link PublishOptions}; setters check their values at once. */
    public static final class Builder {
        private @Nullable Exchange exchange;
        private @Nullable String routingKey;
        private @Nullable String serializer;
        private @Nullable String compression;
        private @Nullable String contentType;
        private @Nullable String contentEncoding;
        private final Map<String, Object> headers = new LinkedHashMap<>();
        private final Map<String, Object> properties = new LinkedHashMap<>();
        private @Nullable Integer priority;
        private @Nullable Duration expiration;
        private @Nullable DeliveryMode deliveryMode;
        private final List<Object> declare = new ArrayList<>();
        private @Nullable RetryPolicy retry;
        private boolean mandatory;
        private @Nullable Duration countdown;
        private @Nullable Instant eta;

        private Builder() {
        }

        public Builder exchange(Exchange value) {
            exchange = Objects.requireNonNull(value, "exchange");
            return this;
        }

        public Builder routingKey(String value) {
            routingKey = Objects.requireNonNull(value, "routingKey");
            return this;
        }

        /** {@code json}, {@code text}, {@code raw}, {@code msgpack}, {@code yaml} or a registered name. */
        public Builder serializer(String value) {
            serializer = Objects.requireNonNull(value, "serializer");
            return this;
        }

        /** {@code zlib}/{@code gzip}, {@code bzip2}, {@code lzma}/{@code xz}, {@code zstd}, {@code brotli}. */
        public Builder compression(String value) {
            compression = Objects.requireNonNull(value, "compression");
            return this;
        }

        /** Publish a pre-serialized body as it is, under this content type and encoding. */
        public Builder contentType(String type, @Nullable String encoding) {
            contentType = Objects.requireNonNull(type, "contentType");
            contentEncoding = encoding;
            return this;
        }

        public Builder header(String key, @Nullable Object value) {
            headers.put(Objects.requireNonNull(key, "key"), value);
            return this;
        }

        public Builder headers(Map<String, ?> values) {
            headers.putAll(values);
            return this;
        }

        /** Any other property, under Kombu's name (e.g. {@code message_id}, {@code type}, {@code app_id}). */
        public Builder property(String key, Object value) {
            properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** 0..255; what it means depends on the broker (see {@link org.kombu4j.transport.PriorityOrder}). */
        public Builder priority(int value) {
            if (value < 0 || value > 255) {
                throw new ConfigurationException("priority must be 0..255, got " + value);
            }
            priority = value;
            return this;
        }

        /** The message expires if not consumed within this time. */
        public Builder expiration(Duration value) {
            expiration = ConfigurationException.requireNonNegative(value, "expiration");
            return this;
        }

        public Builder deliveryMode(DeliveryMode value) {
            deliveryMode = Objects.requireNonNull(value, "deliveryMode");
            return this;
        }

        public Builder correlationId(String value) {
            return property("correlation_id", value);
        }

        public Builder replyTo(String value) {
            return property("reply_to", value);
        }

        /** Declare these {@link Exchange}s and {@link Queue}s (with their bindings) before publishing. */
        public Builder declare(Object... entities) {
            for (Object e : entities) {
                if (!(e instanceof Exchange) && !(e instanceof Queue)) {
                    throw new ConfigurationException("declare takes Exchange and Queue values, got " + e);
                }
                declare.add(e);
            }
            return this;
        }

        /** Retry the publish (reconnecting) on connection faults under this policy. */
        public Builder retry(RetryPolicy value) {
            retry = Objects.requireNonNull(value, "retry");
            return this;
        }

        /** Fail with {@link UnroutableException} if no queue takes the message (where the broker reports it). */
        public Builder mandatory(boolean value) {
            mandatory = value;
            return this;
        }

        /**
         * Deliver the message no earlier than {@code value} from now. While it waits it is not in flight (not
         * consumed, not leased), so no visibility timeout can redeliver it. Replaces an {@link #eta}.
         *
         * @throws ConfigurationException if negative
         */
        public Builder countdown(Duration value) {
            countdown = ConfigurationException.requireNonNegative(value, "countdown");
            eta = null;
            return this;
        }

        /** Deliver the message no earlier than {@code value} (at once if it has passed). Replaces a {@link #countdown}. */
        public Builder eta(Instant value) {
            eta = Objects.requireNonNull(value, "eta");
            countdown = null;
            return this;
        }

        public PublishOptions build() {
            return new PublishOptions(this);
        }
    }
}
