package org.kombu4j;

import com.fasterxml.jackson.databind.JavaType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link Consumer} or a {@link Worker} does with each message it takes: its queues, accept list, handler
 * (decoded, typed or raw) and decode-error handler. Both builders keep their settings here, so the rules (checks,
 * defaults, the order of handler and decode errors) are written once; their failure policies differ and stay theirs.
 */
final class Handling {
    /** The queues given to the builder; a consumer may add more later. */
    final List<Queue> queues;
    /** Content types or serializer names to decode, or null for every registered serializer. */
    final @Nullable List<String> accept;
    /** Queues given with a dead-letter exchange, whose default is to dead-letter what fails (see {@link #consumes}). */
    final Set<String> deadLettered = ConcurrentHashMap.newKeySet();
    final @Nullable HandlerFailure onHandlerFailure;
    private final @Nullable MessageHandler onMessage;
    /** The class typed handlers asked for, or null for the decoded body as it is. */
    private final @Nullable JavaType bodyType;
    private final java.util.function.@Nullable Consumer<Message> onRawMessage;
    private final @Nullable DecodeErrorHandler onDecodeError;

    private Handling(Settings s) {
        this.queues = List.copyOf(s.queues);
        this.accept = s.accept == null ? null : List.copyOf(s.accept);
        queues.forEach(this::consumes);
        this.onHandlerFailure = s.onHandlerFailure;
        this.onMessage = s.onMessage;
        this.bodyType = s.bodyType;
        this.onRawMessage = s.onRawMessage;
        this.onDecodeError = s.onDecodeError;
    }

    /** Notes a queue consumed besides those of the builder (a consumer's {@code addQueue}), for the defaults. */
    void consumes(Queue queue) {
        if (queue.deadLetterExchange() != null) {
            deadLettered.add(queue.name());
        }
    }

    /**
     * Hands {@code message} to the raw handler, or decodes it for the handler; a message that cannot be decoded goes
     * to the decode-error handler (default: {@link Consumer#LOG_AND_DEAD_LETTER} on a dead-lettered queue, else
     * {@link Consumer#LOG_AND_KEEP}). What a handler throws propagates.
     */
    void handle(Message message) {
        if (onRawMessage != null) {
            onRawMessage.accept(message);
            return;
        }
        Object body;
        try {
            body = bodyType == null ? message.decode() : message.decode(bodyType);
        } catch (DecodeException e) {
            DecodeErrorHandler h = onDecodeError != null ? onDecodeError
                    : deadLettered.contains(message.deliveryInfo().queue()) ? Consumer.LOG_AND_DEAD_LETTER : Consumer.LOG_AND_KEEP;
            h.onDecodeError(message, e);
            return;
        }
        Objects.requireNonNull(onMessage).onMessage(body, message);
    }

    /** The builders' settings, checked as they are set. */
    static final class Settings {
        private final Connection connection;
        private final List<Queue> queues = new ArrayList<>();
        private @Nullable List<String> accept;
        private @Nullable MessageHandler onMessage;
        private @Nullable JavaType bodyType;
        private java.util.function.@Nullable Consumer<Message> onRawMessage;
        private @Nullable DecodeErrorHandler onDecodeError;
        private @Nullable HandlerFailure onHandlerFailure;

        Settings(Connection connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
        }

        Connection connection() {
            return connection;
        }

        void queues(List<Queue> values) {
            queues.addAll(values);
        }

        void queues(Queue... values) {
            queues.addAll(Arrays.asList(values));
        }

        void accept(String... values) {
            List<String> list = new ArrayList<>(Arrays.asList(values));
            connection.serializers().acceptContentTypes(list); // refuses unknown names now
            accept = list;
        }

        void onMessage(MessageHandler value) {
            onMessage = Objects.requireNonNull(value, "onMessage");
            bodyType = null;
        }

        @SuppressWarnings("unchecked")
        <T> void onMessage(JavaType type, TypedMessageHandler<? super T> handler) {
            Objects.requireNonNull(handler, "handler");
            onMessage = (body, message) -> handler.onMessage((T) body, message);
            bodyType = type;
        }

        void onRawMessage(java.util.function.Consumer<Message> value) {
            onRawMessage = Objects.requireNonNull(value, "onRawMessage");
        }

        void onDecodeError(DecodeErrorHandler value) {
            onDecodeError = Objects.requireNonNull(value, "onDecodeError");
        }

        void onHandlerFailure(HandlerFailure value) {
            onHandlerFailure = Objects.requireNonNull(value, "onHandlerFailure");
        }

        /** @param what "a consumer", "a worker": names what cannot be built in the error */
        Handling build(String what) {
            if (queues.isEmpty()) {
                throw new ConfigurationException(what + " needs at least one queue");
            }
            if (onMessage == null && onRawMessage == null) {
                throw new ConfigurationException(what + " needs a handler: call onMessage(...) or onRawMessage(...)");
            }
            return new Handling(this);
        }
    }
}
