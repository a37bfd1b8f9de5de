package org.kombu4j.hub;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader and writer callbacks a {@link Hub} keeps per channel, in step with its selector's
 * interest sets, and the dispatch of readiness to them. Used by the loop thread only (which the
 * hub hands over), except {@link #validate}.
 */
final class Registrations {
    // The hub's logger: these messages are the hub's, whichever class writes them.
    private static final Logger log = LoggerFactory.getLogger(Hub.class);

    private final Selector selector;
    // Registrations waiting for a select to flush a cancelled key of their channel.
    private final Map<SelectableChannel, Registration> deferred = new HashMap<>();

    Registrations(Selector selector) {
        this.selector = selector;
    }

    /**
     * Checks that {@code channel} can be registered for {@code side}; any thread.
     *
     * @throws ConfigurationException naming the fix
     */
    static void validate(SelectableChannel channel, Side side) {
        if (channel.isBlocking()) {
            throw new ConfigurationException("channel " + channel
                    + " is in blocking mode; call configureBlocking(false) before registering it with the hub");
        }
        if (side.ops(channel) == 0) {
            throw new ConfigurationException("channel " + channel + " does not support "
                    + (side == Side.READER ? "reading" : "writing") + " (valid ops " + channel.validOps() + ")");
        }
    }

    /** Sets (or, with a null callback, drops) the {@code side} callback of {@code channel}. */
    void apply(SelectableChannel channel, Side side, @Nullable Runnable callback) {
        if (!selector.isOpen()) {
            // The hub closed between posting and applying: it owns the channel now, so close it.
            if (callback != null) {
                closeQuietly(channel);
            }
            return;
        }
        SelectionKey key = channel.keyFor(selector);
        Registration reg;
        if (key != null && key.isValid()) {
            reg = (Registration) Objects.requireNonNull(key.attachment());
        } else {
            Registration waiting = deferred.get(channel);
            if (waiting == null) {
                if (callback == null) {
                    return;
                }
                waiting = new Registration(channel);
            }
            reg = waiting;
        }
        if (side != Side.WRITER) {
            reg.reader = callback;
        }
        if (side != Side.READER) {
            reg.writer = callback;
        }
        sync(reg, key);
    }

    /** Makes the selector's interest set match {@code reg}'s callbacks. Loop thread only. */
    private void sync(Registration reg, @Nullable SelectionKey key) {
        SelectableChannel channel = reg.channel;
        int ops = reg.interestOps();
        if (ops == 0) {
            deferred.remove(channel);
            if (key != null) {
                key.cancel();
            }
            return;
        }
        if (!channel.isOpen()) {
            drop(reg, "channel is closed");
            return;
        }
        try {
            if (key == null) {
                channel.register(selector, ops, reg);
                deferred.remove(channel);
            } else if (key.isValid()) {
                key.interestOps(ops);
            } else {
                // A cancelled key stays in the selector until its next select; registering again
                // before then fails, so wait for that select (it will not block: see select()).
                deferred.put(channel, reg);
            }
        } catch (CancelledKeyException e) {
            if (channel.isOpen()) {
                deferred.put(channel, reg);
            } else {
                drop(reg, "channel was closed");
            }
        } catch (ClosedChannelException e) {
            drop(reg, "channel was closed");
        }
    }

    private void drop(Registration reg, String why) {
        deferred.remove(reg.channel);
        log.debug("hub dropped the registration of {}: {}", reg.channel, why);
    }

    /** Whether changes wait for the next select (which must then not block). */
    boolean hasDeferred() {
        return !deferred.isEmpty();
    }

    /** Applies the changes that waited for a select to flush cancelled keys. */
    void applyDeferred() {
        if (deferred.isEmpty()) {
            return;
        }
        for (Registration reg : new ArrayList<>(deferred.values())) {
            deferred.remove(reg.channel);
            sync(reg, reg.channel.keyFor(selector));
        }
    }

    /**
     * Runs the callbacks of the channels the last select found ready; stops early once
     * {@code hubClosed} says a callback closed the hub.
     */
    void dispatch(BooleanSupplier hubClosed) {
        Set<SelectionKey> selected = selector.selectedKeys();
        if (selected.isEmpty()) {
            return;
        }
        Iterator<SelectionKey> it = selected.iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            Registration reg = (Registration) Objects.requireNonNull(key.attachment());
            int ready;
            try {
                ready = key.readyOps();
            } catch (CancelledKeyException e) {
                log.debug("hub skipped {}: its key was cancelled", reg.channel);
                continue;
            }
            Runnable reader = reg.reader;
            if (reader != null && (ready & Side.READER.ops(reg.channel)) != 0) {
                Hub.runGuarded(reader, "reader");
                if (hubClosed.getAsBoolean()) {
                    return;
                }
            }
            // Read the writer only now: the reader may have removed it or closed the channel.
            Runnable writer = reg.writer;
            if (writer != null && key.isValid() && (ready & Side.WRITER.ops(reg.channel)) != 0) {
                Hub.runGuarded(writer, "writer");
                if (hubClosed.getAsBoolean()) {
                    return;
                }
            }
        }
    }

    /** Closes every registered channel (the hub owns them once registered) and the selector. */
    void closeAll() {
        List<SelectableChannel> channels = new ArrayList<>();
        try {
            for (SelectionKey key : selector.keys()) {
                if (key.isValid()) {
                    channels.add(key.channel());
                }
            }
        } catch (RuntimeException e) {
            log.debug("hub could not list its registrations", e);
        }
        for (Registration reg : deferred.values()) {
            channels.add(reg.channel);
        }
        deferred.clear();
        for (SelectableChannel channel : channels) {
            closeQuietly(channel);
        }
        try {
            selector.close();
        } catch (IOException e) {
            log.warn("hub could not close its selector", e);
        }
    }

    private static void closeQuietly(SelectableChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("hub could not close {}", channel, e);
        }
    }

    /** Which callbacks of a channel a change is about. */
    enum Side {
        READER(SelectionKey.OP_READ | SelectionKey.OP_ACCEPT),
        WRITER(SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT),
        BOTH(READER.mask | WRITER.mask);

        final int mask;

        Side(int mask) {
            this.mask = mask;
        }

        /** The selector ops this side means for {@code channel}: accept is reading, connect is writing. */
        int ops(SelectableChannel channel) {
            return channel.validOps() & mask;
        }
    }

    /** What the hub knows about one channel; attached to its selection key. Loop thread only. */
    private static final class Registration {
        final SelectableChannel channel;
        @Nullable Runnable reader;
        @Nullable Runnable writer;

        Registration(SelectableChannel channel) {
            this.channel = channel;
        }

        int interestOps() {
            return (reader != null ? Side.READER.ops(channel) : 0) | (writer != null ? Side.WRITER.ops(channel) : 0);
        }
    }
}
