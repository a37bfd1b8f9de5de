package org.kombu4j.sql;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;
import org.kombu4j.hub.Hub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL wake-ups for a {@link Fetcher}: a {@link PgListener} LISTENing on the message table's
 * channel, which the table's trigger notifies for every row that becomes ready (whoever wrote it,
 * Python Kombu included), with the row's queue id as payload. So an idle consumer runs no query:
 * on a {@link Hub} the hub's selector watches the listener's socket and a notification for a
 * consumed queue wakes the fetcher; without a hub the fetcher waits on a selector of its own. A delayed
 * row is announced as {@code queue:due} and tells the fetcher when to sweep.
 * A lost listener makes the fetcher reconnect (and look for work once, since notifications sent
 * meanwhile are gone).
 */
final class PgWakeups {
    private static final Logger log = LoggerFactory.getLogger(PgWakeups.class);

    private final PgListener listener;
    private final Fetcher fetcher;
    /**
     * Queue ids (as the trigger writes them) the fetcher consumes; other queues' notifications are
     * ignored. Null until the fetcher first says: every notification counts, so none is missed meanwhile.
     */
    private volatile @Nullable Set<String> wanted;
    private volatile boolean lost;
    private @Nullable Selector selector; // fetcher thread only, while not on a hub
    private @Nullable Hub hub; // fetcher thread only: the hub the socket is registered with

    private PgWakeups(PgListener listener, Fetcher fetcher) {
        this.listener = listener;
        this.fetcher = fetcher;
    }

    /** Listens for {@code url}'s message table; null (the fetcher probes instead) if LISTEN cannot be set up. */
    static @Nullable PgWakeups open(SqlUrl url, Fetcher fetcher) {
        var u = url.url();
        String host = u.host().isEmpty() ? "localhost" : u.host();
        String user = url.properties().getProperty("user");
        PgListener l;
        try {
            l = PgListener.connect(host, u.port(Dialect.POSTGRESQL.defaultPort), url.database(), user, u.password(),
                    List.of(Dialect.notifyChannel(url.options().messageTable())), url.options().connectTimeout());
        } catch (KombuException e) {
            log.warn("LISTEN on {} is not available ({}); consumers will poll every {} ms instead", url.describe(),
                    e.getMessage(), url.options().pollingInterval().toMillis());
            return null;
        }
        PgWakeups w = new PgWakeups(l, fetcher);
        try {
            w.attach();
        } catch (IOException | RuntimeException e) {
            w.close();
            log.warn("cannot watch the LISTEN connection to {} ({}); consumers will poll instead", url.describe(), e.toString());
            return null;
        }
        return w;
    }

    /** Registers the socket with the fetcher's hub if it has one now, else with a selector of its own. */
    private void attach() throws IOException {
        Hub h = fetcher.hub();
        if (h != null) {
            if (selector != null) {
                selector.close(); // cancels its key: the hub takes over
                selector = null;
            }
            hub = h;
            h.addReader(listener.socket(), this::onReadable);
            h.callSoon(this::onReadable); // a notification that came with the LISTEN reply is buffered already
        } else if (selector == null) {
            selector = Selector.open();
            listener.socket().register(selector, SelectionKey.OP_READ);
            read();
        }
    }

    /** The queue ids whose notifications matter. */
    void want(Set<Long> queueIds) {
        Set<String> s = new java.util.HashSet<>();
        for (Long id : queueIds) {
            s.add(Long.toString(id));
        }
        wanted = Set.copyOf(s);
    }

    /** Whether the listener's connection broke (the fetcher then reconnects). */
    boolean lost() {
        return lost;
    }

    /** On the hub thread: the socket is readable. */
    private void onReadable() {
        if (lost || !listener.isOpen()) {
            return;
        }
        read();
        if (lost && hub != null) {
            try {
                hub.remove(listener.socket());
            } catch (RuntimeException ignored) {
                // The hub is closing: nothing to remove from.
            }
        }
    }

    /** On the fetcher thread while it is busy and not on a hub: takes in the notifications that came meanwhile. */
    void readNow() {
        if (!lost && listener.isOpen()) {
            read();
        }
    }

    private void read() {
        try {
            Set<String> w = wanted;
            boolean ready = false;
            long due = Long.MAX_VALUE;
            for (PgListener.Notification n : listener.poll()) {
                String p = n.payload();
                int colon = p.indexOf(':');
                String queue = colon < 0 ? p : p.substring(0, colon);
                if (w != null && !w.contains(queue)) {
                    continue;
                }
                if (colon < 0) {
                    ready = true;
                } else {
                    try {
                        due = Math.min(due, Long.parseLong(p.substring(colon + 1)));
                    } catch (NumberFormatException e) {
                        ready = true; // not ours to parse: look once
                    }
                }
            }
            if (due != Long.MAX_VALUE) {
                fetcher.dueAt(due);
            }
            if (ready) {
                fetcher.newRows();
            }
        } catch (KombuException e) {
            lost = true;
            fetcher.newRows(); // wakes the fetcher, which sees the loss and reconnects
        }
    }

    /** Ends a wait in {@link #awaitOnThisThread} (any thread). */
    void wakeSelector() {
        Selector s = selector;
        if (s != null) {
            s.wakeup();
        }
    }

    /** On the fetcher thread, without a hub: waits for a notification or a wake-up, at most {@code nanos}. */
    void awaitOnThisThread(long nanos) {
        try {
            if (fetcher.hub() != null && hub == null) {
                attach(); // the transport moved to a hub since the listener opened
            }
            Selector s = selector;
            if (s == null || fetcher.takeSignal()) {
                return;
            }
            s.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
            s.selectedKeys().clear();
            read();
            fetcher.takeSignal();
        } catch (IOException e) {
            lost = true;
        }
    }

    /** Keeps the idle listener's connection checked: an empty query, replied to without any work. */
    void keepAlive() {
        Hub h = hub;
        if (h != null) {
            h.callSoon(this::pingQuietly); // the listener is the hub thread's while registered there
        } else {
            pingQuietly();
        }
    }

    private void pingQuietly() {
        try {
            listener.ping();
        } catch (KombuException e) {
            lost = true;
            fetcher.newRows();
        }
    }

    void close() {
        Hub h = hub;
        if (h != null) {
            try {
                h.remove(listener.socket());
            } catch (RuntimeException ignored) {
                // A closed hub has nothing registered.
            }
        }
        if (selector != null) {
            try {
                selector.close();
            } catch (IOException ignored) {
                // Nothing more to release.
            }
            selector = null;
        }
        listener.close();
    }
}
