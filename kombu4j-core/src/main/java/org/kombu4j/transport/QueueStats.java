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
 * @param published messages published to the queue as counted by kombu4j clients (a running total the broker
 *     keeps for them, flushed about once a second; Python Kombu's publishes are not in it), null where not kept
 * @param delivered messages delivered from the queue as counted by kombu4j clients, as {@code published}
 * @param ratesSource where {@link #publishRate} and {@link #deliverRate} come from, null while they are unknown
 *     (see {@link RatesSource})
 * @param consumersLowerBound whether {@link #consumers} counts only kombu4j's consumers (others may exist),
 *     false where the broker knows every consumer
 */
public record QueueStats(String name, long ready, @Nullable Long unacked, @Nullable Integer consumers,
        @Nullable Double publishRate, @Nullable Double deliverRate, @Nullable Double oldestUnackedAgeSeconds,
        @Nullable Long delayed, @Nullable Double oldestDelayedAgeSeconds, @Nullable Long deadLetters,
        List<String> deadLetterQueues, @Nullable Long published, @Nullable Long delivered,
        @Nullable RatesSource ratesSource, boolean consumersLowerBound) {

    /** Where a queue's rates come from, so that an estimate is never shown as a measurement. */
    public enum RatesSource {
        /** The broker measures them (RabbitMQ's management API). */
        BROKER,
        /** Counted by kombu4j clients; other clients' messages (Python Kombu's) are not in them. */
        CLIENTS,
        /** Counted by kombu4j clients, raised by what the queue's depth shows others did: a lower bound. */
        CLIENTS_AND_DEPTH,
        /** Only from the change of the queue's depth between samples: a lower bound. */
        DEPTH;

        /** The name used in JSON: lower case. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Whether the rates may be below the truth. */
        public boolean lowerBound() {
            return this == CLIENTS_AND_DEPTH || this == DEPTH;
        }
    }

    public QueueStats {
        Objects.requireNonNull(name, "name");
        deadLetterQueues = List.copyOf(deadLetterQueues);
    }

    /** Without the clients' counts (see the canonical constructor). */
    public QueueStats(String name, long ready, @Nullable Long unacked, @Nullable Integer consumers,
            @Nullable Double publishRate, @Nullable Double deliverRate, @Nullable Double oldestUnackedAgeSeconds,
            @Nullable Long delayed, @Nullable Double oldestDelayedAgeSeconds, @Nullable Long deadLetters,
            List<String> deadLetterQueues) {
        this(name, ready, unacked, consumers, publishRate, deliverRate, oldestUnackedAgeSeconds, delayed,
                oldestDelayedAgeSeconds, deadLetters, deadLetterQueues, null, null,
                publishRate != null || deliverRate != null ? RatesSource.BROKER : null, false);
    }

    /** This reading with the rates (and where they come from) replaced. */
    public QueueStats withRates(@Nullable Double publish, @Nullable Double deliver, @Nullable RatesSource source) {
        return new QueueStats(name, ready, unacked, consumers, publish, deliver, oldestUnackedAgeSeconds, delayed,
                oldestDelayedAgeSeconds, deadLetters, deadLetterQueues, published, delivered, source, consumersLowerBound);
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
                    q.oldestUnackedAgeSeconds(), q.delayed(), q.oldestDelayedAgeSeconds(), n, to, q.published(),
                    q.delivered(), q.ratesSource(), q.consumersLowerBound()));
        }
        return out;
    }

    /** The fields {@link QueueInfo} has; the rest unknown (a negative consumer count is unknown too). */
    public static QueueStats of(QueueInfo q) {
        return new QueueStats(q.name(), q.messageCount(), null, q.consumerCount() < 0 ? null : q.consumerCount(),
                null, null, null, null, null, null);
    }
}
