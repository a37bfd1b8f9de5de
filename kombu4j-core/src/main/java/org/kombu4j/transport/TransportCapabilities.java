package org.kombu4j.transport;

import java.util.Objects;
import java.util.Set;
import org.kombu4j.ExchangeType;

/**
 * What a transport can do, so that callers and the conformance suite adapt instead of guessing.
 * Built by name: {@code TransportCapabilities.builder(types).priorityOrder(LOWER_FIRST).canListQueues(true).build()}.
 */
public final class TransportCapabilities {
    private final Set<ExchangeType> exchangeTypes;
    private final PriorityOrder priorityOrder;
    private final boolean priorityNeedsMaxPriority;
    private final boolean canListQueues;
    private final boolean fanoutIsDurable;
    private final boolean delayedDelivery;
    private final boolean deadLetters;

    private TransportCapabilities(Builder b) {
        this.exchangeTypes = Set.copyOf(b.exchangeTypes);
        this.priorityOrder = b.priorityOrder;
        this.priorityNeedsMaxPriority = b.priorityNeedsMaxPriority;
        this.canListQueues = b.canListQueues;
        this.fanoutIsDurable = b.fanoutIsDurable;
        this.delayedDelivery = b.delayedDelivery;
        this.deadLetters = b.deadLetters;
    }

    /**
     * Capabilities routing {@code exchangeTypes}; the rest defaults to: no priorities, no
     * {@code x-max-priority} needed, queues not listable, fanout messages durable, no delayed delivery,
     * no dead letters.
     */
    public static Builder builder(Set<ExchangeType> exchangeTypes) {
        return new Builder(exchangeTypes);
    }

    /** The exchange types it routes. */
    public Set<ExchangeType> exchangeTypes() {
        return exchangeTypes;
    }

    /** What a priority number means. */
    public PriorityOrder priorityOrder() {
        return priorityOrder;
    }

    /** Whether a queue must be declared with {@code x-max-priority} for priorities to apply. */
    public boolean priorityNeedsMaxPriority() {
        return priorityNeedsMaxPriority;
    }

    /** Whether {@link TransportChannel#listQueues()} works. */
    public boolean canListQueues() {
        return canListQueues;
    }

    /** Whether fanout messages wait in queues for absent consumers (false on Redis pub/sub). */
    public boolean fanoutIsDurable() {
        return fanoutIsDurable;
    }

    /** Whether {@link OutgoingMessage#deliverAt} is honoured (countdown and eta). */
    public boolean delayedDelivery() {
        return delayedDelivery;
    }

    /**
     * Whether queues declared with {@link org.kombu4j.Queue#DEAD_LETTER_EXCHANGE} (and optionally
     * {@link org.kombu4j.Queue#DELIVERY_LIMIT}) send rejected, over-delivered and dead-lettered messages there.
     */
    public boolean deadLetters() {
        return deadLetters;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransportCapabilities c && exchangeTypes.equals(c.exchangeTypes)
                && priorityOrder == c.priorityOrder && priorityNeedsMaxPriority == c.priorityNeedsMaxPriority
                && canListQueues == c.canListQueues && fanoutIsDurable == c.fanoutIsDurable
                && delayedDelivery == c.delayedDelivery && deadLetters == c.deadLetters;
    }

    @Override
    public int hashCode() {
        return Objects.hash(exchangeTypes, priorityOrder, priorityNeedsMaxPriority, canListQueues, fanoutIsDurable,
                delayedDelivery, deadLetters);
    }

    @Override
    public String toString() {
        return "TransportCapabilities[exchangeTypes=" + exchangeTypes + ", priorityOrder=" + priorityOrder
                + ", priorityNeedsMaxPriority=" + priorityNeedsMaxPriority + ", canListQueues=" + canListQueues
                + ", fanoutIsDurable=" + fanoutIsDurable + ", delayedDelivery=" + delayedDelivery + ", deadLetters=" + deadLetters + "]";
    }

    /** Sets the capabilities by name; each setting not called keeps the default {@link #builder} names. */
    public static final class Builder {
        private final Set<ExchangeType> exchangeTypes;
        private PriorityOrder priorityOrder = PriorityOrder.NONE;
        private boolean priorityNeedsMaxPriority;
        private boolean canListQueues;
        private boolean fanoutIsDurable = true;
        private boolean delayedDelivery;
        private boolean deadLetters;

        private Builder(Set<ExchangeType> exchangeTypes) {
            this.exchangeTypes = Objects.requireNonNull(exchangeTypes, "exchangeTypes");
        }

        /** What a priority number means (default {@link PriorityOrder#NONE}). */
        public Builder priorityOrder(PriorityOrder value) {
            this.priorityOrder = Objects.requireNonNull(value, "priorityOrder");
            return this;
        }

        /** Whether a queue needs {@code x-max-priority} for priorities to apply (default false). */
        public Builder priorityNeedsMaxPriority(boolean value) {
            this.priorityNeedsMaxPriority = value;
            return this;
        }

        /** Whether {@link TransportChannel#listQueues()} works (default false). */
        public Builder canListQueues(boolean value) {
            this.canListQueues = value;
            return this;
        }

        /** Whether fanout messages wait in queues for absent consumers (default true). */
        public Builder fanoutIsDurable(boolean value) {
            this.fanoutIsDurable = value;
            return this;
        }

        /** Whether {@link OutgoingMessage#deliverAt} is honoured (default false). */
        public Builder delayedDelivery(boolean value) {
            this.delayedDelivery = value;
            return this;
        }

        /** Whether queues' dead-letter arguments are honoured (default false). */
        public Builder deadLetters(boolean value) {
            this.deadLetters = value;
            return this;
        }

        public TransportCapabilities build() {
            return new TransportCapabilities(this);
        }
    }
}
