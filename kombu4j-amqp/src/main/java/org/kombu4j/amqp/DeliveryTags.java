package org.kombu4j.amqp;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.kombu4j.MessageStateException;

/**
 * The delivery tags one {@link AmqpChannel} hands out, and which of them are still unacknowledged.
 *
 * <p>A tag encodes the AMQP channel's generation in its top bits, so an ack of a message from a
 * replaced AMQP channel is refused ({@link MessageStateException}) instead of acking an unrelated
 * message or killing the new channel with an unknown-tag error. Thread-safe.
 */
final class DeliveryTags {
    private static final int TAG_BITS = 44;
    private static final long TAG_MASK = (1L << TAG_BITS) - 1;

    private final Set<Long> unacked = ConcurrentHashMap.newKeySet();

    /** The kombu4j tag of a delivery on the AMQP channel of {@code generation}; remembered unless {@code noAck}. */
    long issue(long generation, long amqpTag, boolean noAck) {
        long tag = (generation << TAG_BITS) | (amqpTag & TAG_MASK);
        if (!noAck) {
            unacked.add(tag);
        }
        return tag;
    }

    /** The AMQP tag of a kombu4j tag. */
    static long amqpTag(long tag) {
        return tag & TAG_MASK;
    }

    /**
     * Takes a tag to settle: its AMQP tag, if it is unacknowledged on the AMQP channel of {@code generation}.
     *
     * @throws MessageStateException if it is not
     */
    long settle(long tag, long generation, String verb) {
        if ((tag >>> TAG_BITS) != generation || !unacked.remove(tag)) {
            throw new MessageStateException("cannot " + verb + " delivery tag " + tag + ": not an unacknowledged message"
                    + " of this channel (already settled, redelivered by recover, or from a channel that closed)");
        }
        return amqpTag(tag);
    }

    /** Takes a tag without settling it through the caller; false if it was not unacknowledged. */
    boolean remove(long tag) {
        return unacked.remove(tag);
    }

    /** The unacknowledged tags now. */
    List<Long> snapshot() {
        return new ArrayList<>(unacked);
    }

    /** Forgets {@code tags} (a recover made them void). */
    void removeAll(List<Long> tags) {
        tags.forEach(unacked::remove);
    }

    /** Forgets every tag (the AMQP channel is gone). */
    void clear() {
        unacked.clear();
    }
}
