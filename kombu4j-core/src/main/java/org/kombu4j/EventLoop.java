package org.kombu4j;

import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Kombu's {@code eventloop(conn, limit, timeout, ignore_timeouts)}: an iterator whose every step
 * drains the connection's events once, so a consumer can be driven with a for loop:
 *
 * <pre>{@code
 * for (boolean delivered : EventLoop.iterate(conn, null, Duration.ofSeconds(1), true)) {
 *     if (stopRequested) break;
 * }
 * }</pre>
 */
public final class EventLoop {
    private EventLoop() {
    }

    /**
     * @param limit at most this many steps; null for no limit
     * @param timeout how long each step waits for an event
     * @param ignoreTimeouts if false, a step that times out throws {@link DrainTimeoutException};
     *     if true it yields {@code false} and the loop goes on
     * @return an iterable of steps; each is true if something was delivered
     */
    public static Iterable<Boolean> iterate(Connection connection, @Nullable Integer limit, Duration timeout,
            boolean ignoreTimeouts) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(timeout, "timeout");
        if (limit != null && limit < 0) {
            throw new ConfigurationException("limit must be >= 0, got " + limit);
        }
        return () -> new Iterator<>() {
            private int done;

            @Override
            public boolean hasNext() {
                return limit == null || done < limit;
            }

            @Override
            public Boolean next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                done++;
                boolean delivered = connection.drainEvents(timeout);
                if (!delivered && !ignoreTimeouts) {
                    throw new DrainTimeoutException("no event within " + timeout.toMillis() + " ms on " + connection);
                }
                return delivered;
            }
        };
    }
}
