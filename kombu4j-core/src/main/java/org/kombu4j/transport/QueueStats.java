package org.kombu4j.transport;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * @param deadLetters ready messages in the queue's dead-letter queues ({@link #deadLetterQueues}), null when the
 *     queue has no dead-letter exchange or where its dead letters go cannot be known without the message
 * @param deadLetterQueues the queues its {@code x-dead-letter-exchange} and {@code -routing-key} route to (empty:
 *     none known, or none bound, so dead letters are dropped when {@link #deadLetters} is 0)
 */
public record QueueStats(String name, long ready, @Nullable Long unacked, @Nullable Integer consumers,
        @Nullable Double publishRate, @Nullable Double deliverRate, @Nullable Double oldestUnackedAgeSeconds,
        @Nullable Long delayed, @Nullable Double oldestDelayedAgeSeconds, @Nullable Long deadLetters,
        List<String> deadLetterQueues) {

    public QueueStats {
        Objects.requireNonNull(name, "name");
        deadLetterQueues = List.copyOf(deadLetterQueues);
    }

    /** Without dead-letter queues (see {@link #withDeadLetterQueues}). */
    public QueueStats(String name, long ready, @Nullable Long unacked, @Nullable Integer consumers,
            @Nullable Double publishRate, @Nullable Double deliverRate, @Nullable Double oldestUnackedAgeSeconds,
            @Nullable Long delayed, @Nullable Double oldestDelayedAgeSeconds, @Nullable Long deadLetters) {
        this(name, ready, unacked, consumers, publishRate, deliverRate, oldestUnackedAgeSeconds, delayed,
                oldestDelayedAgeSeconds, deadLetters, List.of());
    }

    /**
     * {@code stats} with each queue's dead letters counted from the same reading: for a queue in
     * {@code targets} (queue → the queues its dead letters are routed to), the sum of those queues' ready
     * messages, so it costs the broker nothing more than knowing the targets. A target not in {@code stats}
     * (not declared yet) counts 0.
     */
    public static List<QueueStats> withDeadLetterQueues(List<QueueStats> stats, Map<String, ? extends List<String>> targets) {
        if (targets.isEmpty()) {
            return stats;
        }
        Map<String, Long> ready = new HashMap<>();
        for (QueueStats q : stats) {
            ready.put(q.name(), q.ready());
        }
        List<QueueStats> out = new ArrayList<>(stats.size());
        for (QueueStats q : stats) {
            List<String> to = targets.get(q.name());
            if (to == null) {
                out.add(q);
                continue;
            }
            long n = 0;
            for (String t : to) {
                n += ready.getOrDefault(t, 0L);
            }
            out.add(new QueueStats(q.name(), q.ready(), q.unacked(), q.consumers(), q.publishRate(), q.deliverRate(),
                    q.oldestUnackedAgeSeconds(), q.delayed(), q.oldestDelayedAgeSeconds(), n, to));
        }
        return out;
    }

    /** The fields {@link QueueInfo} has; the rest unknown (a negative consumer count is unknown too). */
    public static QueueStats of(QueueInfo q) {
        return new QueueStats(q.name(), q.messageCount(), null, q.consumerCount() < 0 ? null : q.consumerCount(),
                null, null, null, null, null, null);
    }
}
