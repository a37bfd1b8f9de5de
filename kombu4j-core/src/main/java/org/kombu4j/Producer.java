package org.kombu4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.kombu4j.compression.Compressor;
import org.kombu4j.observe.KombuObserver;
import org.kombu4j.observe.Publication;
import org.kombu4j.serialization.Encoded;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;

/**
 * Publishes messages: serializes the body (JSON by default; a {@code String} body with no
 * serializer is sent as {@code text/plain}, a {@code byte[]} as {@code application/data}, as in
 * Kombu), compresses it if asked, sets Kombu's properties (persistent delivery mode, priority 0) and
 * declares the exchange on first use. Thread-safe.
 *
 * <pre>{@code
 * Producer p = Producer.builder(conn).exchange(Exchange.topic("events")).serializer("json").build();
 * p.publish(Map.of("id", 1), PublishOptions.routingKey("order.created"));
 * }</pre>
 */
public final class Producer {
    private final Connection connection;
    private final Exchange exchange;
    private final String routingKey;
    private final @Nullable String serializer;
    private final @Nullable String compression;
    private final boolean autoDeclare;
    private final RetryPolicy retry;
    private final @Nullable TransportChannel ownChannel;
    // Per channel: which entities were declared on it (a reconnect brings a new channel).
    private final Map<TransportChannel, Set<Object>> declared = Collections.synchronizedMap(new WeakHashMap<>());
    private volatile @Nullable Declared lastDeclared;
    // The (channel, entity) pair declared or found declared last.
    private volatile @Nullable Declaration lastHit;

    /** An entity known to be declared on a channel. */
    private record Declaration(TransportChannel channel, Object entity) {
    }

    /** The entities known to be declared on a channel. */
    private record Declared(TransportChannel channel, Set<Object> entities) {
    }

    private Producer(Builder b) {
        PublishOptions defaults = b.defaults.build();
        this.connection = b.connection;
        this.exchange = defaults.exchange != null ? defaults.exchange : Exchange.DEFAULT;
        this.routingKey = defaults.routingKey != null ? defaults.routingKey : "";
        this.serializer = defaults.serializer;
        this.compression = defaults.compression;
        this.autoDeclare = b.autoDeclare;
        this.retry = b.retry;
        this.ownChannel = b.channel;
        if (serializer != null) {
            connection.serializers().byName(serializer);
        }
        if (compression != null) {
            connection.compressors().byName(compression);
        }
    }

    public static Builder builder(Connection connection) {
        return new Builder(connection);
    }

    public Exchange exchange() {
        return exchange;
    }

    public Connection connection() {
        return connection;
    }

    /** Publishes {@code body} to the producer's exchange and routing key. */
    public void publish(@Nullable Object body) {
        publish(body, PublishOptions.NONE);
    }

    /** Publishes {@code body} with {@code routingKey}. */
    public void publish(@Nullable Object body, String routingKey) {
        publish(body, PublishOptions.routingKey(routingKey));
    }

    /**
     * Publishes {@code body}.
     *
     * @throws EncodeException for an unknown serializer or compressor, or a body the serializer cannot write
     * @throws OperationalException if the broker cannot be reached and the retry policy gave up
     */
    public void publish(@Nullable Object body, PublishOptions options) {
        publish(body, options, false);
    }

    /**
     * Publishes {@code body} without waiting for the broker to take it: the future completes when it has
     * (on AMQP with {@code confirm_publish}, its publisher confirm) or exceptionally with why not (nacked,
     * returned unroutable, channel lost). Errors before sending (encoding, connection) are thrown here.
     * Transports without confirms complete the future at once. For many messages see {@link #batch(int)}.
     */
    public CompletableFuture<Void> publishTracked(@Nullable Object body, PublishOptions options) {
        CompletableFuture<Void> f = publish(body, options, true);
        return Objects.requireNonNull(f);
    }

    /**
     * A batch publishing through this producer with at most {@code window} messages awaiting the
     * broker's confirm; {@link PublishBatch#await} then reports every message that was not confirmed.
     */
    public PublishBatch batch(int window) {
        return new PublishBatch(this, window);
    }

    /** A batch with a window of {@link PublishBatch#DEFAULT_WINDOW}, as {@code kombu4j publish --count} uses. */
    public PublishBatch batch() {
        return batch(PublishBatch.DEFAULT_WINDOW);
    }

    private @Nullable CompletableFuture<Void> publish(@Nullable Object body, PublishOptions options, boolean tracked) {
        Objects.requireNonNull(options, "options");
        Exchange ex = options.exchange != null ? options.exchange : exchange;
        String rk = options.routingKey != null ? options.routingKey : routingKey;
        RawMessage content = prepare(body, options);
        KombuObserver obs = connection.observer();
        if (obs != null) {
            return observed(obs, ex, rk, content, options, tracked);
        }
        return send(ex, rk, content, options, tracked);
    }

    /** A publish with the observers told before and after; off the path taken when none is registered. */
    private @Nullable CompletableFuture<Void> observed(KombuObserver obs, Exchange ex, String rk, RawMessage content,
            PublishOptions options, boolean tracked) {
        Publication publication = new Publication(connection, ex.name(), rk, content);
        Object token = obs.publishing(publication);
        CompletableFuture<Void> result;
        try {
            result = send(ex, rk, publication.content(), options, tracked);
        } catch (Throwable e) {
            obs.published(publication, token, e);
            throw e;
        }
        obs.published(publication, token, null);
        return result;
    }

    private @Nullable CompletableFuture<Void> send(Exchange ex, String rk, RawMessage content, PublishOptions options,
            boolean tracked) {
        OutgoingMessage out = new OutgoingMessage(ex.name(), rk, content, options.mandatory,
                options.deliverAt(System.currentTimeMillis()));
        RetryPolicy policy = options.retry != null ? options.retry : retry;
        if (policy.maxRetries() == 0) {
            // What Connection.ensure does without retries, minus a lambda per publish on the hot path.
            try {
                return send(ex, options, out, tracked);
            } catch (OperationalException e) {
                throw connection.dropBrokenTransport(e);
            }
        }
        return connection.ensure(policy, () -> send(ex, options, out, tracked));
    }

    private @Nullable CompletableFuture<Void> send(Exchange ex, PublishOptions options, OutgoingMessage out,
            boolean tracked) {
        if (out.isDelayed() && !connection.transport().capabilities().delayedDelivery()) {
            throw new ConfigurationException(connection + ": this transport cannot delay messages (countdown/eta)");
        }
        TransportChannel ch = channel();
        if (autoDeclare && !ex.isDefault()) {
            declareOnce(ch, ex);
        }
        for (Object entity : options.declare) {
            declareOnce(ch, entity);
        }
        if (tracked) {
            return ch.publishTracked(out);
        }
        ch.publish(out);
        return null;
    }

    /** Serializes, compresses and sets properties, as Kombu's {@code Producer._prepare}. */
    RawMessage prepare(@Nullable Object body, PublishOptions options) {
        byte[] bytes;
        String contentType;
        String contentEncoding;
        if (options.contentType != null) {
            contentType = options.contentType;
            if (body instanceof byte[]) {
                bytes = (byte[]) body;
                contentEncoding = options.contentEncoding != null ? options.contentEncoding : "binary";
            } else if (body instanceof CharSequence) {
                contentEncoding = options.contentEncoding != null ? options.contentEncoding : "utf-8";
                try {
                    bytes = body.toString().getBytes(java.nio.charset.Charset.forName(contentEncoding));
                } catch (IllegalArgumentException e) {
                    throw new EncodeException("unknown content encoding '" + contentEncoding + "'", e);
                }
            } else {
                throw new EncodeException("with an explicit content type the body must be byte[] or a String, got "
                        + (body == null ? "null" : body.getClass().getName()), null);
            }
        } else {
            String ser = options.serializer != null ? options.serializer : serializer;
            Encoded enc = connection.serializers().encode(body, ser);
            bytes = enc.body();
            contentType = enc.contentType();
            contentEncoding = enc.contentEncoding();
        }
        // RawMessage copies the maps it is given, except its own: the common case copies nothing.
        Map<String, Object> headers = options.headers;
        String comp = options.compression != null ? options.compression : compression;
        if (comp != null) {
            Compressor c = connection.compressors().byName(comp);
            bytes = c.compress(bytes);
            headers = new LinkedHashMap<>(options.headers);
            headers.put("compression", c.contentType());
        }
        DeliveryMode mode = options.deliveryMode != null ? options.deliveryMode : DeliveryMode.PERSISTENT;
        Map<String, Object> props;
        if (options.priority == null && options.expiration == null && options.properties.isEmpty()) {
            props = DEFAULT_PROPERTIES.get(mode);
        } else {
            props = properties(mode, options.priority != null ? options.priority : 0, options);
        }
        return new RawMessage(bytes, contentType, contentEncoding, headers, props);
    }

    private static Map<String, Object> properties(DeliveryMode mode, int priority, PublishOptions options) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("delivery_mode", mode.code());
        props.put("priority", priority);
        if (options.expiration != null) {
            props.put("expiration", Long.toString(options.expiration.toMillis()));
        }
        props.putAll(options.properties);
        return props;
    }

    /** Kombu's default properties per delivery mode, as RawMessage's own (shared, never copied) maps. */
    private static final Map<DeliveryMode, Map<String, Object>> DEFAULT_PROPERTIES = defaultProperties();

    private static Map<DeliveryMode, Map<String, Object>> defaultProperties() {
        Map<DeliveryMode, Map<String, Object>> out = new java.util.EnumMap<>(DeliveryMode.class);
        for (DeliveryMode mode : DeliveryMode.values()) {
            out.put(mode, new RawMessage(new byte[0], null, null, Map.of(),
                    properties(mode, 0, PublishOptions.NONE)).properties());
        }
        return out;
    }

    private TransportChannel channel() {
        return ownChannel != null ? ownChannel : connection.defaultChannel();
    }

    private void declareOnce(TransportChannel ch, Object entity) {
        // Most publishes repeat the previous one's channel and exchange: two identity checks, no hashing.
        Declaration hit = lastHit;
        if (hit != null && hit.channel() == ch && hit.entity() == entity) {
            return;
        }
        declareOnceSlow(ch, entity);
        lastHit = new Declaration(ch, entity);
    }

    private void declareOnceSlow(TransportChannel ch, Object entity) {
        // Most publishes reuse the channel of the previous one: look its set up without the map's lock.
        Set<Object> done;
        Declared last = lastDeclared;
        if (last != null && last.channel() == ch) {
            done = last.entities();
        } else {
            done = declared.computeIfAbsent(ch, c -> java.util.concurrent.ConcurrentHashMap.newKeySet());
            lastDeclared = new Declared(ch, done);
        }
        if (done.contains(entity)) {
            return;
        }
        Entities.declare(ch, entity);
        done.add(entity);
    }

    /** Declares the producer's exchange now. */
    public void declare() {
        if (!exchange.isDefault()) {
            connection.ensure(retry, () -> declareOnce(channel(), exchange));
        }
    }

    /** Builds a {@link Producer}. */
    public static final class Builder {
        private final Connection connection;
        // Exchange, routing key, serializer and compression: what each publish's options may override.
        private final PublishOptions.Builder defaults = PublishOptions.builder();
        private boolean autoDeclare = true;
        private RetryPolicy retry = RetryPolicy.NONE;
        private @Nullable TransportChannel channel;

        private Builder(Connection connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
        }

        public Builder exchange(Exchange value) {
            defaults.exchange(value);
            return this;
        }

        public Builder routingKey(String value) {
            defaults.routingKey(value);
            return this;
        }

        /** The default serializer; checked by {@link #build}, so an unknown name fails there. */
        public Builder serializer(String value) {
            defaults.serializer(value);
            return this;
        }

        /** The default compression; checked by {@link #build}, as the serializer. */
        public Builder compression(String value) {
            defaults.compression(value);
            return this;
        }

        /** Declare the exchange before the first publish (default true). */
        public Builder autoDeclare(boolean value) {
            autoDeclare = value;
            return this;
        }

        /** Retry publishes on connection faults under this policy (default: no retry). */
        public Builder retry(RetryPolicy value) {
            retry = Objects.requireNonNull(value, "retry");
            return this;
        }

        /** Publish on this channel instead of the connection's default one. */
        public Builder channel(TransportChannel value) {
            channel = Objects.requireNonNull(value, "channel");
            return this;
        }

        public Producer build() {
            return new Producer(this);
        }
    }
}
