package org.kombu4j.redis;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.RespPush;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two connections of a {@code layout=queue} cluster transport to one master, shared by every namespace
 * (queue, and the catalog) whose slot that master serves: one command connection for declarations,
 * publishes and acknowledgements, one event connection for wake-ups, pops and fanout subscriptions. So a
 * {@code Connection} holds two connections per master however many queues it uses (issue 18).
 *
 * <p>Why one event connection can serve every queue of a master although Redis Cluster refuses a
 * multi-key {@code BRPOP} across slots: nothing blocks on it. A consumer learns of a push from a
 * {@code CLIENT TRACKING BCAST} invalidation (prefix-matched, so slot-agnostic: one connection may track
 * the keys of any number of slots), then runs the single-slot pop script of the queue named — each
 * script touches one slot, which the master serves, so it is legal on a shared connection. Idle cost:
 * none but a health-check PING per namespace; wake-up latency: one push plus one script round trip,
 * as on {@code redis://}.
 *
 * <p>Pushes are handed to every member ({@link RedisTransport#onCommandPush}, and each namespace's
 * {@link MultiChannelPoller#onPush}), which pick out their own keys (every key is under the member's
 * hash tag). Tracking prefixes are per connection in Redis and can only be removed by switching tracking
 * off, so a member that drops a prefix re-tracks the union of all members' prefixes and makes the others
 * sweep their queues ({@link EventSubscriptions}). The event connection is read by one thread at a time:
 * the thread running the {@link Hub} the link is registered with, or the caller of an inline subscription
 * sync holding {@link ClusterQueueTransport#tryInlineRead()}.
 *
 * <p>A failure on either connection, or a {@code MOVED}/{@code ASK} in any member, closes both: every
 * member on this master is then disconnected, and the {@code Connection} rebuilds the whole transport,
 * reading the slot map afresh (which re-homes each queue to the master now serving it).
 */
final class ClusterNodeLink {
    private static final Logger log = LoggerFactory.getLogger(ClusterNodeLink.class);

    private final ClusterQueueTransport owner;
    private final RedisEndpoint endpoint;
    /** Serialises the users of the command connection, as {@link RedisTransport}'s own lock does without a link. */
    final Object commandLock = new Object();
    private final List<RedisTransport> members = new CopyOnWriteArrayList<>();
    /** The members by hash tag: a push naming {@code {tag}...} goes to that member only. */
    private final java.util.Map<String, RedisTransport> byTag = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile @Nullable RedisConnection commands;
    private volatile @Nullable RedisConnection events;
    private volatile boolean closed;
    /** The hub whose thread reads the event connection; null until one is registered. */
    private @Nullable Hub hub;
    /** Set while a member runs an inline subscription sync: pushes are then queued for each member's event thread. */
    private volatile boolean inlineRead;
    /** The selector of inline subscription syncs (one reader at a time: the transport's reader lock). */
    private java.nio.channels.@Nullable Selector inlineSelector;
    /** Some member's tag holds a brace: pushes go to every member, each filtering its own. */
    private volatile boolean ambiguousTags;

    ClusterNodeLink(ClusterQueueTransport owner, RedisEndpoint endpoint) {
        this.owner = owner;
        this.endpoint = endpoint;
    }

    RedisEndpoint endpoint() {
        return endpoint;
    }

    ClusterQueueTransport owner() {
        return owner;
    }

    /** Opens both connections unless open. */
    synchronized void open(Ticker ticker) {
        if (closed) {
            throw new OperationalException("Redis Cluster connections to " + endpoint + " were closed");
        }
        if (commands != null) {
            return;
        }
        RedisConnection cmd = RedisConnection.open(endpoint, ticker, true, "kombu4j");
        RedisConnection ev = EventIo.openEvents(endpoint, ticker, cmd);
        cmd.onPush(this::onCommandPush);
        ev.onPush(this::onEventPush);
        commands = cmd;
        events = ev;
    }

    /** Whether both connections are open (false once closed: a closed link is replaced, never reopened). */
    boolean isOpen() {
        RedisConnection c = commands;
        RedisConnection e = events;
        return !closed && c != null && c.isOpen() && e != null && e.isOpen();
    }

    boolean isClosed() {
        return closed;
    }

    /** {@code t}'s namespace is served by this master: it gets this link's pushes. */
    void join(RedisTransport t) {
        if (!members.contains(t)) {
            members.add(t);
            String tag = t.clusterTag();
            if (tag != null) {
                byTag.put(tag, t);
                if (tag.indexOf('{') >= 0 || tag.indexOf('}') >= 0) {
                    ambiguousTags = true; // a queue named "a}b": its keys' tag cannot be read back from them
                }
            }
        }
    }

    List<RedisTransport> members() {
        return members;
    }

    RedisConnection commands() {
        RedisConnection c = commands;
        if (c == null) {
            throw new OperationalException("Redis Cluster command connection to " + endpoint + " is not open");
        }
        return c;
    }

    RedisConnection events() {
        RedisConnection e = events;
        if (e == null) {
            throw new OperationalException("Redis Cluster event connection to " + endpoint + " is not open");
        }
        return e;
    }

    private void onCommandPush(RespPush push) {
        RedisTransport owner = ownerOf(push);
        if (owner != null) {
            owner.onCommandPush(push);
            return;
        }
        for (RedisTransport m : members) {
            m.onCommandPush(push);
        }
    }

    private void onEventPush(RespPush push) {
        RedisTransport owner = ownerOf(push);
        if (owner != null) {
            owner.poller().onPush(push);
            return;
        }
        for (RedisTransport m : members) {
            m.poller().onPush(push);
        }
    }

    /**
     * The one member a push concerns, or null for all (a flush, a subscription confirmation). Redis sends a
     * broadcast invalidation per tracked prefix, so its keys share one hash tag; a fanout message's channel
     * carries its queue's tag. With hundreds of queues on a master this keeps a wake-up O(1), not O(queues).
     */
    private @Nullable RedisTransport ownerOf(RespPush push) {
        if (ambiguousTags) {
            return null;
        }
        Object named;
        if (RespPush.INVALIDATE.equals(push.kind())) {
            List<Object> keys = push.invalidatedKeys();
            if (keys == null || keys.isEmpty()) {
                return null;
            }
            String tag = tagOf(keys.get(0));
            if (tag == null) {
                return null;
            }
            for (Object k : keys) {
                if (!tag.equals(tagOf(k))) {
                    return null; // several namespaces' keys (not expected): every member filters its own
                }
            }
            return byTag.get(tag);
        }
        if (RespPush.PMESSAGE.equals(push.kind()) && push.items().size() >= 4) {
            named = push.items().get(2);
            String tag = tagOf(named);
            return tag == null ? null : byTag.get(tag);
        }
        return null;
    }

    /** The hash tag a key or channel starts with ({@code {tag}...}), or null. */
    private static @Nullable String tagOf(@Nullable Object keyOrChannel) {
        if (keyOrChannel == null) {
            return null;
        }
        String s = org.kombu4j.redis.internal.Resp.text(keyOrChannel);
        int close = s.indexOf('}');
        return s.startsWith("{") && close > 1 ? s.substring(1, close) : null;
    }

    boolean inlineRead() {
        return inlineRead;
    }

    void inlineRead(boolean on) {
        inlineRead = on;
    }

    /**
     * Makes {@code h}'s thread the reader of the event connection (a move from another hub leaves the old
     * one, which is never run again, watching a socket nobody reads there).
     */
    synchronized void register(Hub h) {
        if (hub == h) {
            return;
        }
        hub = h;
        RedisConnection ev = events;
        if (ev != null && ev.isOpen()) {
            h.addReader(ev.socket(), this::onReadable);
        }
    }

    /** The event connection holds bytes the socket did not take: written when it is writable. */
    void watchWritable() {
        Hub h = hub;
        RedisConnection ev = events;
        if (h != null && ev != null && ev.isOpen()) {
            h.addWriter(ev.socket(), this::onWritable);
        }
    }

    private void onReadable() {
        RedisConnection ev = events;
        if (closed || ev == null || !ev.isOpen()) {
            return;
        }
        try {
            ev.onReadable();
            long now = members.isEmpty() ? 0 : members.get(0).ticker().nanoTime();
            for (RedisTransport m : members) {
                m.poller().noteIo(now);
            }
            if (!ev.flush()) {
                watchWritable();
            }
        } catch (OperationalException e) {
            lost(e);
            return;
        }
        // A handler failure recorded by a member (on a user's hub) leaves through this callback, as on redis://.
        for (RedisTransport m : members) {
            m.poller().throwRecordedFailure();
        }
    }

    private void onWritable() {
        try {
            EventIo.writeOrUnwatch(hub, events);
        } catch (OperationalException e) {
            lost(e);
        }
    }

    private void lost(OperationalException e) {
        log.warn("Redis Cluster event connection to {} lost: {}", endpoint, e.getMessage());
        close();
        if (!members.isEmpty()) {
            members.get(0).connectionLost(e); // one report: the whole transport reconnects
        }
    }

    /** The selector an inline subscription sync waits on for the event connection, opened on first use. */
    synchronized java.nio.channels.Selector inlineSelector() {
        java.nio.channels.Selector s = inlineSelector;
        if (s == null) {
            try {
                s = java.nio.channels.Selector.open();
            } catch (java.io.IOException e) {
                throw new OperationalException("cannot open a selector: " + e.getMessage(), e);
            }
            inlineSelector = s;
        }
        return s;
    }

    /** Closes both connections: every member on this master is disconnected. */
    void close() {
        closed = true;
        java.nio.channels.Selector s;
        synchronized (this) {
            s = inlineSelector;
            inlineSelector = null;
        }
        EventIo.closeSelector(s);
        Hub h;
        synchronized (this) {
            h = hub;
        }
        RedisConnection c = commands;
        RedisConnection e = events;
        if (h != null && e != null && !h.isClosed()) {
            h.remove(e.socket());
        }
        EventIo.closeConnections(c, e);
    }

    @Override
    public String toString() {
        return "ClusterNodeLink(" + endpoint + ", " + members.size() + " namespaces)";
    }
}
