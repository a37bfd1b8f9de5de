package org.kombu4j.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ClosedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.ExchangeType;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportCapabilities;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportListener;
import org.kombu4j.transport.virtual.ExchangeRouter;

/**
 * {@code redis+cluster://...?layout=queue}: one hash-tagged namespace per queue (WIRE.md "Redis Cluster
 * layout"), so a connection's queues spread over the cluster's masters and one consumer takes from all.
 *
 * <p>A composition, not a new protocol: each queue {@code q} is served by its own {@link RedisTransport}
 * whose {@code global_keyprefix} starts with {@code {q}} — Kombu's whole layout (lists, {@code unacked},
 * {@code unacked_index}, leases, delayed set, queue arguments, the queue's own binding rows) inside that
 * one slot, so every script the Redis transport runs still touches one slot and runs unchanged, and
 * that transport talks to the master serving the slot. A catalog namespace {@code {_kombu4j}} holds
 * what spans queues: the exchange types, every binding row (so a publish can route) and the declared
 * queues (for listing). A publish on an exchange routes on the catalog's rows (cached, kept valid by
 * client-side tracking as on {@code redis://}) and hands the message to each target queue's namespace,
 * which routes it again on that queue's own rows and pushes it (or PUBLISHes it, for fanout): one
 * write per target queue, so a message routed to queues on several masters is not all-or-nothing.
 *
 * <p>Connections: two per master used (a {@link ClusterNodeLink}: command and event), shared by every
 * namespace on that master — the catalog's included — so their number does not grow with the queues. Events:
 * on a user's {@link Hub} each master's event connection is one reader; without one, {@link #drainEvents}
 * runs a private Hub on the caller's thread ({@link Hub#runOnce(Duration)}), so deliveries still run on the
 * draining thread and one selector waits for all masters. Registering with a user's Hub after draining
 * moves the connections to it. A {@code MOVED}/{@code ASK}/{@code CLUSTERDOWN} in any namespace closes that
 * master's connections and throws, and the {@code Connection} reconnects the whole transport, re-reading
 * the topology, so each queue is served by the master that now owns its slot. Dead letters cross namespaces: the letter is published
 * through this transport, then the original's {@code unacked} record is dropped (at least once: a crash
 * in between leaves both).
 */
final class ClusterQueueTransport implements Transport {
    /** The hash tag of the catalog namespace; a queue may not take this name. */
    static final String CATALOG_TAG = "_kombu4j";

    private final BrokerUrl url;
    private final RedisOptions base;
    private final RedisEndpoint seed;
    private final RedisTransport catalog;
    private final Map<String, RedisTransport> namespaces = new ConcurrentHashMap<>();
    /** The shared connections to each master, by {@code host:port}. */
    private final Map<String, ClusterNodeLink> links = new ConcurrentHashMap<>();
    /**
     * Held by the thread that reads the event connections without a user's Hub: a {@link #drainEvents}, or a
     * consume() applying its subscriptions inline ({@link #tryInlineRead()}).
     */
    private final java.util.concurrent.locks.ReentrantLock readerLock = new java.util.concurrent.locks.ReentrantLock();
    private final List<ClusterQueueChannel> channels = new CopyOnWriteArrayList<>();
    private final ExchangeRouter router = new ExchangeRouter();
    /** The user's Hub, once registered. */
    private volatile @Nullable Hub hub;
    /** The Hub {@link #drainEvents} runs on the caller's thread once several namespaces are consumed. */
    private volatile @Nullable Hub drainHub;
    private final AtomicLong deliveries = new AtomicLong();
    /** A handler's failure or a lost event connection, to be thrown out of the current drain. */
    private final AtomicReference<@Nullable RuntimeException> drainFailure = new AtomicReference<>();
    private volatile TransportListener listener = TransportListener.NONE;
    private volatile boolean closed;
    /** Set when {@link #close} starts: the channels' closes need not re-sync shared subscriptions. */
    private volatile boolean closing;
    private volatile @Nullable Topology topology;

    /** A slot map and when it was read (ticker time). */
    private record Topology(ClusterTopology map, long readAt) {
    }

    /** How long a slot map read for one namespace's connect serves the next ones (many queues connect together). */
    private static final long TOPOLOGY_REUSE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    /**
     * @param base the URL's Redis options ({@code global_keyprefix} without any tag)
     * @param seed the URL's node
     */
    ClusterQueueTransport(BrokerUrl url, RedisOptions base, RedisEndpoint seed) {
        this.url = url;
        this.base = base;
        this.seed = seed;
        this.catalog = create(CATALOG_TAG);
    }

    private RedisTransport create(String tag) {
        RedisOptions o = new RedisOptions(base.visibilityTimeout(), base.prioritySteps(), base.sep(), base.fanoutPrefix(),
                base.fanoutPatterns(), "{" + tag + "}" + base.globalKeyprefix(), base.socketTimeout(),
                base.socketConnectTimeout(), base.healthCheckInterval(), base.unackedRestoreInterval(),
                base.publishPipeline(), null, base.leaseTimeout());
        RedisTransport t = new RedisTransport(url, o, new RedisCluster(seed, tag, this::topology));
        t.shareConnections(this::link);
        t.setListener(e -> {
            if (drainHub != null) {
                drainFailure.compareAndSet(null, e); // the private hub does not throw it: the drain does
            }
            listener.onConnectionLost(e);
        });
        t.deadLetterSink(this::publishDeadLetter);
        return t;
    }

    /** The connections to the master at {@code master}, shared by its namespaces; a closed one is replaced. */
    private ClusterNodeLink link(RedisEndpoint master) {
        return links.compute(master.host() + ":" + master.port(),
                (k, l) -> l == null || l.isClosed() ? new ClusterNodeLink(this, master) : l);
    }

    /** The shared connections to every master in use, for tests and counts. */
    java.util.Collection<ClusterNodeLink> links() {
        return links.values();
    }

    /**
     * Whether the caller may read the event connections now, to apply a consume's subscriptions before
     * it returns: no user's Hub, no drain running, and not inside one (then it is posted instead). If true,
     * {@link #endInlineRead()} must follow.
     */
    boolean tryInlineRead() {
        return hub == null && !closed && !readerLock.isHeldByCurrentThread() && readerLock.tryLock();
    }

    void endInlineRead() {
        readerLock.unlock();
    }

    /**
     * The slot map for a namespace's connect: one {@code CLUSTER SLOTS} read serves the namespaces connecting
     * within a second of it. A map gone stale in that second (a failover) shows as a refused connection or a
     * {@code MOVED}, and the {@code Connection} reconnects the whole transport, reading it afresh.
     */
    private ClusterTopology topology(org.kombu4j.hub.Ticker ticker) {
        Topology t = topology;
        long now = ticker.nanoTime();
        if (t != null && now - t.readAt() < TOPOLOGY_REUSE_NANOS) {
            return t.map();
        }
        ClusterTopology fresh = ClusterTopology.discover(seed, ticker);
        topology = new Topology(fresh, now);
        return fresh;
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public BrokerUrl url() {
        return url;
    }

    @Override
    public TransportCapabilities capabilities() {
        return RedisTransport.CAPABILITIES;
    }

    /** The catalog namespace: exchange types, every binding row, the declared queues. */
    RedisTransport catalog() {
        return catalog;
    }

    ExchangeRouter router() {
        return router;
    }

    /** The connected transport of {@code queue}'s namespace, created on first use. */
    RedisTransport namespace(String queue) {
        if (closed) {
            throw new ClosedException("Redis transport to " + url.masked() + " is closed");
        }
        if (queue.isEmpty() || queue.equals(CATALOG_TAG)) {
            throw new ConfigurationException("queue name '" + queue + "' cannot be used with layout=queue"
                    + " (empty, or the catalog's hash tag " + CATALOG_TAG + ")");
        }
        RedisTransport t = namespaces.computeIfAbsent(queue, this::create);
        t.connect();
        Hub h = hub != null ? hub : drainHub;
        if (h != null) {
            t.registerWithEventLoop(h);
        }
        return t;
    }

    /** The routing table of {@code exchange} on the catalog's binding rows (cached, kept valid by tracking). */
    private Routes.Table table(String exchange) {
        Routes routes = catalog.routes();
        Keys keys = catalog.keys();
        return catalog.commands(c -> {
            if (routes.enabled() && c.pendingReplies() == 0) {
                c.poll(); // invalidations already on the wire first
            }
            Routes.Table cached = routes.get(exchange);
            if (cached != null) {
                return cached;
            }
            long readAt = routes.generation();
            List<Object> r = c.pipeline(List.of(List.of("HGET", keys.exchangeTypes(), exchange),
                    List.of("SMEMBERS", keys.bindings(exchange))));
            Routes.Table fresh = routes.table(RedisTransport.check(r.get(0), "HGET"), RedisTransport.check(r.get(1), "SMEMBERS"));
            routes.put(exchange, fresh, readAt);
            return fresh;
        });
    }

    /** The queues {@code exchange} routes {@code routingKey} to (every bound queue, for fanout). */
    List<String> route(String exchange, String routingKey) {
        Routes.Table t = table(exchange);
        return t.type() == ExchangeType.FANOUT ? rowQueues(t) : t.queues(router, routingKey);
    }

    /** Every queue with a binding row on {@code exchange}. */
    List<String> boundQueues(String exchange) {
        return rowQueues(table(exchange));
    }

    private static List<String> rowQueues(Routes.Table t) {
        Set<String> all = new LinkedHashSet<>();
        for (ExchangeRouter.Row row : t.rows()) {
            all.add(row.queue());
        }
        return new ArrayList<>(all);
    }

    /** The recorded type of {@code exchange}, or null if it was never declared. */
    @Nullable ExchangeType exchangeType(String exchange) {
        Object r = catalog.commands(c -> c.call(List.of("HGET", catalog.keys().exchangeTypes(), exchange)));
        RedisTransport.check(r, "HGET");
        if (r == null) {
            return null;
        }
        try {
            return ExchangeType.of(org.kombu4j.redis.internal.Resp.text(r));
        } catch (RuntimeException e) {
            return ExchangeType.DIRECT;
        }
    }

    /** Publishes {@code message} to every queue it routes to, each in its own namespace. */
    void publish(OutgoingMessage message, java.util.function.BiConsumer<String, OutgoingMessage> toQueue) {
        if (message.exchange().isEmpty()) {
            toQueue.accept(message.routingKey(), message);
            return;
        }
        List<String> queues = route(message.exchange(), message.routingKey());
        if (queues.isEmpty()) {
            if (message.mandatory()) {
                throw org.kombu4j.transport.Unroutable.returned(message.exchange(), message.routingKey());
            }
            org.kombu4j.transport.Unroutable.dropped(message.exchange(), message.routingKey());
            return;
        }
        for (String q : queues) {
            toQueue.accept(q, message);
        }
    }

    /** A dead letter from a queue's namespace: routed across namespaces, on the namespaces' own command connections. */
    private void publishDeadLetter(OutgoingMessage letter) {
        publish(letter, (q, m) -> namespace(q).deadLetterPublisher().publish(m));
    }

    @Override
    public synchronized void connect() {
        if (closed) {
            throw new ClosedException("Redis transport to " + url.masked() + " is closed");
        }
        catalog.connect();
        for (RedisTransport t : namespaces.values()) {
            t.connect();
        }
    }

    @Override
    public boolean isConnected() {
        if (closed || !catalog.isConnected()) {
            return false;
        }
        for (RedisTransport t : namespaces.values()) {
            if (!t.isConnected()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public TransportChannel createChannel() {
        connect();
        ClusterQueueChannel ch = new ClusterQueueChannel(this, catalog.createChannel());
        channels.add(ch);
        return ch;
    }

    /** The open channels (tests). */
    List<ClusterQueueChannel> channels() {
        return channels;
    }

    void channelClosed(ClusterQueueChannel ch) {
        channels.remove(ch);
    }

    /** A delivery is being handed to a consumer (event thread). */
    void delivered() {
        deliveries.incrementAndGet();
    }

    /**
     * A consumer's handler threw (event thread). Without a user's Hub it is kept and thrown, unchanged,
     * out of the current {@link #drainEvents} (true: the caller swallows it); on a user's Hub the caller
     * rethrows it, and the namespace's poller reports it as on {@code redis://} (false).
     */
    boolean handlerFailed(RuntimeException failure) {
        if (hub != null) {
            return false;
        }
        drainFailure.compareAndSet(null, failure);
        return true;
    }

    /**
     * Dispatches deliveries of every namespace this transport consumes from on the caller's thread, until
     * one was made or {@code timeout} passed: the masters' event connections are registered with a private
     * Hub that this thread runs, one selector for all. One thread drains at a time (others wait).
     */
    @Override
    public boolean drainEvents(Duration timeout) {
        checkOpen();
        if (hub != null) {
            throw new IllegalStateException("this connection is registered with a Hub: its deliveries run on the hub thread, drainEvents cannot be used");
        }
        long before = deliveries.get();
        boolean got;
        long deadline = System.nanoTime() + timeout.toNanos();
        readerLock.lock();
        try {
            if (hub != null) {
                throw new IllegalStateException("this connection is registered with a Hub: its deliveries run on the hub thread, drainEvents cannot be used");
            }
            Hub h = drainHub;
            if (h == null) {
                h = startDrainHub();
            }
            while (true) {
                try {
                    h.runOnce(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                } catch (ClosedException e) {
                    checkOpen();
                    throw e;
                }
                checkOpen();
                if (deliveries.get() != before || drainFailure.get() != null || System.nanoTime() - deadline >= 0
                        || hub != null) {
                    break; // (a handler registered the connection with a Hub: its thread reads from now on)
                }
                if (!isConnected()) {
                    // A master's shared connections were closed on the hub thread (a MOVED seen by a periodic
                    // restore, a failed health check): end the drain so the Connection rebuilds the transport.
                    RuntimeException failure = drainFailure.getAndSet(null);
                    throw failure != null ? failure : new OperationalException("Redis Cluster connections of "
                            + url.masked() + " were closed (a slot moved, a master failed over or went away)");
                }
            }
            got = deliveries.get() != before;
        } finally {
            readerLock.unlock();
        }
        RuntimeException failure = drainFailure.getAndSet(null);
        if (failure != null) {
            throw failure;
        }
        return got;
    }

    private synchronized Hub startDrainHub() {
        Hub h = drainHub;
        if (h == null) {
            h = new Hub();
            drainHub = h;
            catalog.registerWithEventLoop(h);
            for (RedisTransport t : namespaces.values()) {
                t.registerWithEventLoop(h);
            }
        }
        return h;
    }

    private void checkOpen() {
        if (closed) {
            throw new ClosedException("Redis transport to " + url.masked() + " is closed");
        }
    }

    @Override
    public void registerWithEventLoop(Hub hub) {
        Objects.requireNonNull(hub, "hub");
        connect();
        // After drains (a private hub read the connections): wait for the current one to end, then move.
        readerLock.lock();
        try {
            this.hub = hub;
            catalog.registerWithEventLoop(hub);
            for (RedisTransport t : namespaces.values()) {
                t.registerWithEventLoop(hub);
            }
        } finally {
            readerLock.unlock();
        }
    }

    @Override
    public void setListener(TransportListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closing = true;
        for (ClusterQueueChannel ch : channels) {
            try {
                ch.close();
            } catch (RuntimeException e) {
                // Its unacked messages come back after visibility_timeout; closing goes on.
            }
        }
        closed = true;
        OperationalException first = null;
        for (RedisTransport t : namespaces.values()) {
            try {
                t.close();
            } catch (OperationalException e) {
                first = first == null ? e : first;
            }
        }
        catalog.close();
        for (ClusterNodeLink l : links.values()) {
            l.close();
        }
        Hub h = drainHub;
        if (h != null) {
            h.close(); // its registrations are gone with the namespaces' connections
        }
        if (first != null) {
            throw first;
        }
    }

    boolean isClosed() {
        return closed;
    }

    boolean isClosing() {
        return closing;
    }

    @Override
    public String toString() {
        return "RedisTransport(" + url.masked() + ", layout=queue)";
    }
}
