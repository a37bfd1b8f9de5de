package org.kombu4j.redis;

import java.io.IOException;
import java.nio.channels.Selector;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;

/**
 * The event connection's opening, write-when-writable step and teardown, the same whether a node's
 * {@link MultiChannelPoller} watches it or a {@link ClusterNodeLink} shared by every namespace on a master does.
 */
final class EventIo {
    private EventIo() {
    }

    /**
     * Opens the event connection beside the command connection {@code commands} just opened; if it cannot be opened,
     * closes {@code commands} too, so that a failed connect leaves no half-open pair.
     *
     * @throws OperationalException the event connection could not be opened
     */
    static RedisConnection openEvents(RedisEndpoint endpoint, Ticker ticker, RedisConnection commands) {
        try {
            return RedisConnection.open(endpoint, ticker, true, "kombu4j-events");
        } catch (OperationalException e) {
            commands.close();
            throw e;
        }
    }

    /**
     * The hub's writable callback: writes what {@code events} holds and, once it holds nothing more (or is gone),
     * stops watching its socket for writability.
     *
     * @throws OperationalException the write failed: the caller reports the connection lost
     */
    static void writeOrUnwatch(@Nullable Hub hub, @Nullable RedisConnection events) {
        if (events == null || !events.isOpen() || events.flush()) {
            if (hub != null && events != null) {
                hub.removeWriter(events.socket());
            }
        }
    }

    /** Closes a private selector; an error closing it leaves nothing to do. */
    static void closeSelector(@Nullable Selector selector) {
        if (selector != null) {
            try {
                selector.close();
            } catch (IOException ignored) {
                // Nothing to do.
            }
        }
    }

    /** Closes the command and the event connection, either of which may never have been opened. */
    static void closeConnections(@Nullable RedisConnection commands, @Nullable RedisConnection events) {
        if (commands != null) {
            commands.close();
        }
        if (events != null) {
            events.close();
        }
    }
}
