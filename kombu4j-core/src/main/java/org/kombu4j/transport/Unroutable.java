package org.kombu4j.transport;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.kombu4j.UnroutableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an emulating transport does with a publish that reaches no queue: a mandatory one is returned
 * ({@link #returned}), any other is dropped as AMQP drops it, with a warning ({@link #dropped}) as Python
 * Kombu's virtual transport gives one ({@code UndeliverableWarning}) — a dropped message must not go
 * unnoticed. The warning is logged for the first drop of each exchange and routing key, then at most
 * once a minute per pair with the count dropped since, so a misrouted load generator cannot flood the log.
 */
public final class Unroutable {
    private static final Logger log = LoggerFactory.getLogger(Unroutable.class);
    private static final long REPEAT_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Bounds the memory a stream of distinct routing keys can take; past it the table starts afresh. */
    private static final int MAX_KEYS = 1024;
    private static final ConcurrentHashMap<String, Episode> episodes = new ConcurrentHashMap<>();
    private static final AtomicLong droppedTotal = new AtomicLong();

    private Unroutable() {}

    /** The exception for a mandatory publish that no queue takes. */
    public static UnroutableException returned(String exchange, String routingKey) {
        return new UnroutableException("message to exchange '" + exchange + "' with routing key '" + routingKey
                + "' was returned: no queue is bound to take it");
    }

    /** Records that a publish (not mandatory) to {@code exchange} with {@code routingKey} reached no queue. */
    public static void dropped(String exchange, String routingKey) {
        droppedTotal.incrementAndGet();
        if (!log.isWarnEnabled()) {
            return;
        }
        if (episodes.size() >= MAX_KEYS) {
            episodes.clear();
        }
        String key = exchange + '\u0000' + routingKey;
        long now = System.nanoTime();
        Episode e = episodes.computeIfAbsent(key, k -> new Episode(now - REPEAT_NANOS));
        long since = e.dropped.incrementAndGet();
        long last = e.loggedAt.get();
        if (now - last >= REPEAT_NANOS && e.loggedAt.compareAndSet(last, now)) {
            e.dropped.addAndGet(-since);
            log.warn("message could not be delivered: no queue is bound to exchange '{}' with routing key '{}'"
                    + " (dropped{}; publish with mandatory to get an UnroutableException instead)",
                    exchange, routingKey, since == 1 ? "" : ", " + since + " messages since the last warning");
        }
    }

    /** How many publishes this JVM's emulating transports have dropped as unroutable since it started. */
    public static long droppedTotal() {
        return droppedTotal.get();
    }

    private static final class Episode {
        final AtomicLong loggedAt;
        final AtomicLong dropped = new AtomicLong();

        Episode(long loggedAt) {
            this.loggedAt = new AtomicLong(loggedAt);
        }
    }
}
