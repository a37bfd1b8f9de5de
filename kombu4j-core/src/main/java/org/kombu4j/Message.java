package org.kombu4j;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.compression.Compressor;
import org.kombu4j.compression.Compressors;
import org.kombu4j.observe.KombuObserver;
import org.kombu4j.serialization.Serializers;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * A received message: its body bytes, content type and encoding, headers, properties and delivery
 * info, and the means to settle it — {@link #ack()}, {@link #reject(boolean)}, {@link #requeue()}.
 * A message is settled once; a second settlement throws {@link MessageStateException}. Messages
 * from a no-ack consumer are settled already; acking them does nothing, as in Kombu.
 *
 * <p>{@link #decode()} applies the consumer's accept list: a content type outside it throws
 * {@link ContentDisallowedException}. Thread-safe.
 */
public final class Message {
    /** Where a message stands. */
    public enum State {
        RECEIVED, ACKNOWLEDGED, REJECTED, REQUEUED
    }

    private static final Object UNDECODED = new Object();
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Message.class, "state", State.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final TransportMessage delivery;
    private final TransportChannel channel;
    private final Serializers serializers;
    private final Compressors compressors;
    private final @Nullable Set<String> accept;
    private final boolean noAck;
    /**
     * Changed only by {@link #settle}, with one compare-and-set: settling is on every message's path, and a
     * CAS costs half an uncontended monitor (enter and exit are one atomic operation each).
     */
    private volatile State state = State.RECEIVED;
    /** Run once the message is settled, before the broker hears of it: see {@link #onSettle}. */
    private volatile @Nullable Runnable settleHook;
    private byte @Nullable [] body;
    private @Nullable Object decoded = UNDECODED;
    /** Told of settlements; null (one check) when the connection has no observer. */
    private final @Nullable KombuObserver observer;

    /** Made by consumers and {@link SimpleQueue}; transports do not need it. */
    public Message(TransportMessage delivery, TransportChannel channel, Serializers serializers, Compressors compressors,
            @Nullable Set<String> accept, boolean noAck) {
        this(delivery, channel, serializers, compressors, accept, noAck, null);
    }

    /** As the public constructor, with the connection's observer to tell of settlements. */
    Message(TransportMessage delivery, TransportChannel channel, Serializers serializers, Compressors compressors,
            @Nullable Set<String> accept, boolean noAck, @Nullable KombuObserver observer) {
        this.observer = observer;
        this.delivery = delivery;
        this.channel = channel;
        this.serializers = serializers;
        this.compressors = compressors;
        this.accept = accept;
        this.noAck = noAck;
    }

    /** The body after decompression (the serialized payload). */
    public synchronized byte[] body() {
        if (body == null) {
            byte[] raw = delivery.content().body();
            String compression = compression();
            if (compression == null) {
                body = raw;
            } else {
                Compressor c = compressors.byContentType(compression).orElseThrow(() -> new DecodeException(
                        "cannot decompress message: unknown compression '" + compression + "' (known: "
                                + compressors.names() + ")", null));
                body = c.decompress(raw);
            }
        }
        return body;
    }

    /** The body exactly as it travelled (compressed if {@link #compression()} is set). */
    public byte[] rawBody() {
        return delivery.content().body();
    }

    /**
     * The deserialized body: a {@code Map}/{@code List}/scalar for JSON, msgpack and YAML, a
     * {@code String} for text, {@code byte[]} for raw data.
     *
     * @throws ContentDisallowedException if the content type is not accepted
     * @throws DecodeException if the body is not valid for its content type
     */
    public synchronized @Nullable Object decode() {
        if (decoded == UNDECODED) {
            decoded = serializers.decode(body(), contentType(), contentEncoding(), accept);
        }
        return decoded;
    }

    /**
     * The deserialized body converted into {@code type} with the connection's ObjectMapper
     * ({@link Connection.Builder#objectMapper}): a record or bean from a JSON, msgpack or YAML object, say. Dates,
     * times, UUIDs and decimals are read from Kombu 5.3+ type tags and from plain strings alike (a date-time without
     * an offset is taken as UTC where an instant is wanted).
     *
     * @throws ContentDisallowedException if the content type is not accepted
     * @throws DecodeException if the body is not valid for its content type, or does not fit {@code type}
     */
    public <T> @Nullable T decode(Class<T> type) {
        @SuppressWarnings("unchecked")
        T value = (T) decode(serializers.javaType(type));
        return value;
    }

    /** {@link #decode(Class)} for a generic type, e.g. {@code new TypeReference<List<Task>>() {}}. */
    public <T> @Nullable T decode(TypeReference<T> type) {
        @SuppressWarnings("unchecked")
        T value = (T) decode(serializers.javaType(type.getType()));
        return value;
    }

    /** {@link #decode(Class)} for a Jackson {@link JavaType}. */
    public @Nullable Object decode(JavaType type) {
        return serializers.convert(decode(), type);
    }

    /** The body decoded as text (UTF-8 unless the content encoding names another charset). */
    public String bodyAsString() {
        String enc = contentEncoding();
        java.nio.charset.Charset cs = java.nio.charset.StandardCharsets.UTF_8;
        if (enc != null && !enc.equalsIgnoreCase("binary") && !enc.equalsIgnoreCase("utf-8")) {
            try {
                cs = java.nio.charset.Charset.forName(enc);
            } catch (IllegalArgumentException ignored) {
                // Unknown charset name: UTF-8 is the safest reading.
            }
        }
        return new String(body(), cs);
    }

    public @Nullable String contentType() {
        return delivery.content().contentType();
    }

    public @Nullable String contentEncoding() {
        return delivery.content().contentEncoding();
    }

    /** The compression MIME name from the {@code compression} header, or null. */
    public @Nullable String compression() {
        Object c = delivery.content().headers().get("compression");
        return c == null ? null : String.valueOf(c);
    }

    public Map<String, Object> headers() {
        return delivery.content().headers();
    }

    /** Properties under Kombu's names: {@code priority}, {@code delivery_mode}, {@code correlation_id}, ... */
    public Map<String, Object> properties() {
        return delivery.content().properties();
    }

    public int priority() {
        return delivery.content().priority();
    }

    public @Nullable String correlationId() {
        Object v = properties().get("correlation_id");
        return v == null ? null : v.toString();
    }

    public @Nullable String replyTo() {
        Object v = properties().get("reply_to");
        return v == null ? null : v.toString();
    }

    public DeliveryInfo deliveryInfo() {
        return new DeliveryInfo(delivery.exchange(), delivery.routingKey(), delivery.queue(), delivery.consumerTag(),
                delivery.deliveryTag(), isRedelivered());
    }

    public boolean isRedelivered() {
        return delivery.redelivered() || Boolean.TRUE.equals(headers().get("redelivered"));
    }

    public State state() {
        return state;
    }

    /** Whether the message was acknowledged, rejected or requeued already. */
    public boolean isSettled() {
        return state != State.RECEIVED || noAck;
    }

    /** Acknowledges the message: the broker forgets it. */
    public void ack() {
        if (settle(State.ACKNOWLEDGED)) {
            channel.ack(delivery.deliveryTag());
            if (observer != null) {
                observer.acknowledged(this);
            }
        }
    }

    /**
     * Acknowledges the message without waiting for the broker's reply where the transport can batch
     * acknowledgements ({@link TransportChannel#ackSoon}): a busy handler thread need not wait one round trip
     * per message. If the connection is lost before it is sent, the broker delivers the message again.
     */
    public void ackSoon() {
        if (settle(State.ACKNOWLEDGED)) {
            channel.ackSoon(delivery.deliveryTag());
            if (observer != null) {
                observer.acknowledged(this);
            }
        }
    }

    /** Rejects the message; with {@code requeue} it goes back to its queue, otherwise it is dropped or dead-lettered. */
    public void reject(boolean requeue) {
        if (settle(requeue ? State.REQUEUED : State.REJECTED)) {
            channel.reject(delivery.deliveryTag(), requeue);
            if (observer != null) {
                observer.rejected(this, requeue);
            }
        }
    }

    /**
     * Rejects the message without requeue, recording {@code reason} (e.g. {@link org.kombu4j.transport.DeadLetters#UNDECODABLE}
     * or a word of the application's): where its queue has a dead-letter exchange it goes there with the reason in
     * its {@code x-death} header; without one it is dropped.
     */
    public void deadLetter(String reason) {
        Objects.requireNonNull(reason, "reason");
        if (settle(State.REJECTED)) {
            channel.deadLetter(delivery.deliveryTag(), reason);
            if (observer != null) {
                observer.deadLettered(this, reason);
            }
        }
    }

    /** Rejects the message back into its queue for redelivery. */
    public void requeue() {
        reject(true);
    }

    /**
     * Runs {@code hook} when this message is settled, before the settlement reaches the channel: a {@link Worker}
     * counts its unsettled messages so, exactly, since the channel may deliver the next one as soon as it hears.
     */
    void onSettle(Runnable hook) {
        settleHook = hook;
    }

    /** Moves to {@code to}; false for a no-ack message (nothing to tell the broker), throws if settled already. */
    private boolean settle(State to) {
        if (noAck) {
            return false;
        }
        if (!STATE.compareAndSet(this, State.RECEIVED, to)) {
            State now = state; // once settled a message stays in that state
            throw new MessageStateException("message " + delivery.deliveryTag() + " from queue '" + delivery.queue()
                    + "' is already " + now.name().toLowerCase(java.util.Locale.ROOT) + "; it cannot be "
                    + to.name().toLowerCase(java.util.Locale.ROOT) + " again");
        }
        Runnable hook = settleHook;
        if (hook != null) {
            hook.run();
        }
        return true;
    }

    /** The transport's view of this delivery. */
    public TransportMessage delivery() {
        return delivery;
    }

    @Override
    public String toString() {
        return "Message(queue=" + delivery.queue() + ", tag=" + delivery.deliveryTag() + ", content_type=" + contentType()
                + ", state=" + state() + ")";
    }
}
