package org.kombu4j.redis.internal;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import org.jspecify.annotations.Nullable;
import org.kombu4j.hub.Ticker;

/**
 * Blocking waits on one non-blocking socket, for a {@link RedisConnection}'s synchronous calls: a
 * private selector (opened on first use) and deadlines read from a {@link Ticker}. Used by one thread
 * at a time; {@link #close} may come from any thread and ends a wait in progress.
 */
final class SocketWaiter {
    private final SocketChannel socket;
    private final Ticker ticker;
    private @Nullable Selector selector;

    SocketWaiter(SocketChannel socket, Ticker ticker) {
        this.socket = socket;
        this.ticker = ticker;
    }

    /** A deadline {@code nanos} from now, for {@link #await}. */
    long deadline(long nanos) {
        return ticker.nanoTime() + nanos;
    }

    /** Whether {@code deadline} has passed. */
    boolean expired(long deadline) {
        return ticker.nanoTime() - deadline > 0;
    }

    /**
     * Waits until the socket is ready for {@code op} (for {@code OP_CONNECT}: until it is connected).
     *
     * @return false if the deadline passed first
     * @throws java.nio.channels.ClosedSelectorException if {@link #close} ran meanwhile
     */
    boolean await(int op, long deadline) throws IOException {
        Selector sel;
        synchronized (this) {
            sel = selector;
            if (sel == null) {
                sel = Selector.open();
                selector = sel;
            }
        }
        SelectionKey key = socket.keyFor(sel);
        if (key == null) {
            key = socket.register(sel, op);
        } else {
            key.interestOps(op);
        }
        while (true) {
            long left = deadline - ticker.nanoTime();
            if (left <= 0) {
                return false;
            }
            sel.select(Math.max(1, left / 1_000_000));
            sel.selectedKeys().clear();
            if (op == SelectionKey.OP_CONNECT) {
                if (socket.finishConnect()) {
                    return true;
                }
            } else if (key.isValid() && (key.readyOps() & op) != 0) {
                return true;
            }
        }
    }

    synchronized void close() {
        Selector sel = selector;
        if (sel != null) {
            try {
                sel.close();
            } catch (IOException ignored) {
                // Nothing to do.
            }
        }
    }
}
