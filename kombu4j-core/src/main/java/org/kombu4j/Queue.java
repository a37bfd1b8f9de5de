package org.kombu4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A queue and its bindings, as an immutable value. Defaults follow Kombu: durable, not exclusive,
 * not auto-delete. Build one with {@link #named(String)}:
 *
 * <pre>{@code
 * Queue q = Queue.named("tasks").bind(Exchange.direct("work"), "tasks").maxPriority(10).build();
 * }</pre>
 *
 * Arguments use AMQP's names ({@code x-max-priority}, {@code x-message-ttl}, {@code x-expires},
 * {@code x-max-length}); transports that cannot honour one say so in their documentation.
 *
 * <p>On RabbitMQ {@link Builder#queueType(String)} picks a replicated queue: {@code quorum} (Raft-replicated
 * over the cluster's nodes, survives the loss of a minority of them, keeps the delivery count that
 * {@link Builder#deliveryLimit(int)} uses) or {@code stream} (an append-only log; consumers need a prefetch
 * and start at the next message published). Both must be durable and neither exclusive nor auto-delete,
 * which {@link Builder#build()} checks. Other transports ignore the type.
 */
public final class Queue {
    public static final String MAX_PRIORITY = "x-max-priority";
    public static final String MESSAGE_TTL = "x-message-ttl";
    public static final String EXPIRES = "x-expires";
    public static final String MAX_LENGTH = "x-max-length";
    /** Where rejected, over-delivered and undecodable messages go (RabbitMQ's argument; emulated elsewhere). */
    public static final String DEAD_LETTER_EXCHANGE = "x-dead-letter-exchange";
    /** The routing key dead letters are published with; unset: the message's own. */
    public static final String DEAD_LETTER_ROUTING_KEY = "x-dead-letter-routing-key";
    /** How often a message may return to the queue; past it, it is dead-lettered (or dropped without a target). */
    public static final String DELIVERY_LIMIT = "x-delivery-limit";
    /** RabbitMQ's queue type: {@code classic} (the default), {@code quorum} or {@code stream}. */
    public static final String QUEUE_TYPE = "x-queue-type";
    /** How many nodes a new quorum queue or stream is replicated to (default: every cluster node). */
    public static final String INITIAL_GROUP_SIZE = "x-quorum-initial-group-size";

    private final String name;
    private final List<Binding> bindings;
    private final boolean durable;
    private final boolean exclusive;
    private final boolean autoDelete;
    private final Map<String, Object> arguments;

    private Queue(Builder b) {
        this.name = b.name;
        this.bindings = Collections.unmodifiableList(new ArrayList<>(b.bindings));
        this.durable = b.durable;
        this.exclusive = b.exclusive;
        this.autoDelete = b.autoDelete;
        this.arguments = Collections.unmodifiableMap(new LinkedHashMap<>(b.arguments));
    }

    /** Starts a queue definition. */
    public static Builder named(String name) {
        return new Builder(name);
    }

    /** A durable queue bound to {@code exchange} with {@code routingKey}. */
    public static Queue of(String name, Exchange exchange, String routingKey) {
        return named(name).bind(exchange, routingKey).build();
    }

    /** A durable queue with no explicit bindings (reachable through the default exchange). */
    public static Queue of(String name) {
        return named(name).build();
    }

    public String name() {
        return name;
    }

    public List<Binding> bindings() {
        return bindings;
    }

    public boolean isDurable() {
        return durable;
    }

    public boolean isExclusive() {
        return exclusive;
    }

    public boolean isAutoDelete() {
        return autoDelete;
    }

    public Map<String, Object> arguments() {
        return arguments;
    }

    /** {@code x-max-priority}, if set. */
    public @Nullable Integer maxPriority() {
        Object v = arguments.get(MAX_PRIORITY);
        return v instanceof Number ? ((Number) v).intValue() : null;
    }

    /** Returns a builder holding this queue's definition. */
    /** The dead-letter exchange ({@code x-dead-letter-exchange}), or null; "" is the default exchange. */
    public @Nullable String deadLetterExchange() {
        Object v = arguments.get(DEAD_LETTER_EXCHANGE);
        return v == null ? null : v.toString();
    }

    /** The dead-letter routing key ({@code x-dead-letter-routing-key}), or null for the message's own. */
    public @Nullable String deadLetterRoutingKey() {
        Object v = arguments.get(DEAD_LETTER_ROUTING_KEY);
        return v == null ? null : v.toString();
    }

    /** The delivery limit ({@code x-delivery-limit}), or null for none. */
    public @Nullable Integer deliveryLimit() {
        Object v = arguments.get(DELIVERY_LIMIT);
        return v instanceof Number n ? n.intValue() : v == null ? null : Integer.valueOf(v.toString());
    }

    /** {@code x-queue-type} ({@code classic}, {@code quorum}, {@code stream}), or null when not set. */
    public @Nullable String queueType() {
        Object v = arguments.get(QUEUE_TYPE);
        return v == null ? null : v.toString();
    }

    public Builder toBuilder() {
        Builder b = new Builder(name);
        b.bindings.addAll(bindings);
        b.durable = durable;
        b.exclusive = exclusive;
        b.autoDelete = autoDelete;
        b.arguments.putAll(arguments);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Queue)) {
            return false;
        }
        Queue q = (Queue) o;
        return name.equals(q.name) && bindings.equals(q.bindings) && durable == q.durable && exclusive == q.exclusive
                && autoDelete == q.autoDelete && arguments.equals(q.arguments);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, bindings, durable, exclusive, autoDelete, arguments);
    }

    @Override
    public String toString() {
        return "Queue(" + name + ", bindings=" + bindings + ")";
    }

    /** Builds a {@link Queue}; each setter checks its value at once. */
    public static final class Builder {
        private final String name;
        private final List<Binding> bindings = new ArrayList<>();
        private boolean durable = true;
        private boolean exclusive;
        private boolean autoDelete;
        private final Map<String, Object> arguments = new LinkedHashMap<>();

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new ConfigurationException("a queue needs a name");
            }
            this.name = name;
        }

        public Builder bind(Exchange exchange, String routingKey) {
            bindings.add(Binding.of(exchange, routingKey));
            return this;
        }

        public Builder bind(Binding binding) {
            bindings.add(Objects.requireNonNull(binding, "binding"));
            return this;
        }

        public Builder durable(boolean value) {
            durable = value;
            return this;
        }

        public Builder exclusive(boolean value) {
            exclusive = value;
            return this;
        }

        public Builder autoDelete(boolean value) {
            autoDelete = value;
            return this;
        }

        /** {@code x-max-priority}: 1 to 255. */
        public Builder maxPriority(int value) {
            if (value < 1 || value > 255) {
                throw new ConfigurationException("maxPriority must be 1..255, got " + value);
            }
            arguments.put(MAX_PRIORITY, value);
            return this;
        }

        /** {@code x-message-ttl}: how long a message may wait in the queue. */
        public Builder messageTtl(Duration ttl) {
            arguments.put(MESSAGE_TTL, positiveMillis(ttl, "messageTtl"));
            return this;
        }

        /** {@code x-expires}: how long the queue may stay unused before the broker deletes it. */
        public Builder expires(Duration ttl) {
            arguments.put(EXPIRES, positiveMillis(ttl, "expires"));
            return this;
        }

        /** {@code x-max-length}: at most this many ready messages; the oldest are dropped beyond it. */
        public Builder maxLength(long value) {
            if (value < 0) {
                throw new ConfigurationException("maxLength must be >= 0, got " + value);
            }
            arguments.put(MAX_LENGTH, value);
            return this;
        }

        /**
         * Dead-letter rejected, over-delivered and undecodable messages to {@code exchange} ("" for the default
         * exchange, which routes by queue name) with {@code routingKey}, or with their own routing key if null.
         * Native on RabbitMQ; emulated on the other transports that have
         * {@link org.kombu4j.transport.TransportCapabilities#deadLetters()}.
         */
        public Builder deadLetter(String exchange, @Nullable String routingKey) {
            arguments.put(DEAD_LETTER_EXCHANGE, Objects.requireNonNull(exchange, "exchange"));
            if (routingKey != null) {
                arguments.put(DEAD_LETTER_ROUTING_KEY, routingKey);
            } else {
                arguments.remove(DEAD_LETTER_ROUTING_KEY);
            }
            return this;
        }

        /**
         * Dead-letter a message (or drop it, without a dead-letter exchange) once it has been returned to the queue
         * (requeued, or left unacknowledged by a consumer that died) more than {@code value} times, so it is
         * delivered at most {@code value + 1} times: RabbitMQ's count, which only its quorum queues keep
         * ({@code x-queue-type=quorum}).
         */
        public Builder deliveryLimit(int value) {
            if (value < 0) {
                throw new ConfigurationException("deliveryLimit must be >= 0, got " + value);
            }
            arguments.put(DELIVERY_LIMIT, value);
            return this;
        }

        /**
         * {@code x-queue-type}: {@code classic}, {@code quorum} or {@code stream} (RabbitMQ 3.8 and 3.9 on). A
         * replicated type needs a durable queue, neither exclusive nor auto-delete; {@link #build()} checks that.
         */
        public Builder queueType(String value) {
            Objects.requireNonNull(value, "queueType");
            if (!value.equals("classic") && !value.equals("quorum") && !value.equals("stream")) {
                throw new ConfigurationException("queueType must be classic, quorum or stream, got '" + value + "'");
            }
            arguments.put(QUEUE_TYPE, value);
            return this;
        }

        /** A quorum queue ({@code x-queue-type=quorum}): replicated over the cluster with Raft. */
        public Builder quorum() {
            return queueType("quorum");
        }

        /** A stream ({@code x-queue-type=stream}): a replicated, append-only log. */
        public Builder stream() {
            return queueType("stream");
        }

        /** {@code x-quorum-initial-group-size}: the number of replicas a new quorum queue or stream gets. */
        public Builder initialGroupSize(int value) {
            if (value < 1) {
                throw new ConfigurationException("initialGroupSize must be >= 1, got " + value);
            }
            arguments.put(INITIAL_GROUP_SIZE, value);
            return this;
        }

        public Builder argument(String key, Object value) {
            arguments.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @throws ConfigurationException for a quorum queue or stream that is not durable, or is exclusive or auto-delete */
        public Queue build() {
            Object type = arguments.get(QUEUE_TYPE);
            if ("quorum".equals(type) || "stream".equals(type)) {
                // RabbitMQ refuses these with a channel error (406); say why before anything is sent.
                if (!durable || exclusive || autoDelete) {
                    throw new ConfigurationException("queue '" + name + "': a " + type + " queue must be durable and"
                            + " neither exclusive nor auto-delete");
                }
            }
            return new Queue(this);
        }

        private static long positiveMillis(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new ConfigurationException(what + " must be positive, got " + d);
            }
            return d.toMillis();
        }
    }
}
