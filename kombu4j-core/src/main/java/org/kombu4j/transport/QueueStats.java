package org.kombu4j.transport;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a monitor shows of one queue: its ready messages and, where the broker knows them, the rest; every
 * {@code null} field means "this transport does not know", never zero.
 *
 * @param name the queue's name
 * @param ready messages waiting to be delivered
 * @param unacked messages delivered and not yet acknowledged (Redis: in {@code unacked}; SQL: leased rows)
 * @param consumers consumers the broker knows of
 * @param publishRate messages per second published to the queue, as the broker measures it
 * @param deliverRate messages per second delivered from the queue, as the broker measures it
 * @param oldestUnackedAgeSeconds seconds since the oldest unacknowledged message was delivered
 * @param delayed messages waiting for their delivery time (countdown/eta), not yet ready
 * @param oldestDelayedAgeSeconds seconds the earliest delayed message is past its due time (0 if none is due)
 * @param deadLetters messages dead-lettered from the queue, where the transport counts them
 */
public record QueueStats(String name, long ready, @Nullable Long unacked, @Nullable Integer consumers,
        @Nullable Double publishRate, @Nullable Double deliverRate, @Nullable Double oldestUnackedAgeSeconds,
        @Nullable Long delayed, @Nullable Double oldestDelayedAgeSeconds, @Nullable Long deadLetters) {

    public QueueStats {
        Objects.requireNonNull(name, "name");
    }

    /** The fields {@link QueueInfo} has; the rest unknown (a negative consumer count is unknown too). */
    public static QueueStats of(QueueInfo q) {
        return new QueueStats(q.name(), q.messageCount(), null, q.consumerCount() < 0 ? null : q.consumerCount(),
                null, null, null, null, null, null);
    }
}
