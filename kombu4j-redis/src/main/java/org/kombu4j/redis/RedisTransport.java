package org.kombu4j.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ClosedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.ExchangeType;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.RespError;
import org.kombu4j.redis.internal.RespPush;
import org.kombu4j.transport.PriorityOrder;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportCapabilities;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportListener;
import org.kombu4j.transport.virtual.ExchangeRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis transport: Kombu's key layout and envelope (WIRE.md §1–§7) over two connections.
 *
 * <ul>
 *   <li>The <b>command</b> connection (RESP3) serves synchronous calls from any thread, one at a
 *       time: declarations, publishes, acknowledgements (batched), restores. A publish routes in the
 *       client on {@link Routes routing tables} that Redis keeps valid by client-side-caching
 *       invalidations ({@code CLIENT TRACKING on BCAST} on the binding sets), and sends plain
 *       {@code LPUSH}es (several in one MULTI/EXEC) or a {@code PUBLISH} for fanout — one round trip,
 *       no Lua; if the server refuses tracking, the publish script routes on the server instead. With
 *       {@code publish_pipeline=N} (see {@link RedisOptions#publishPipeline()}) up to N publishes
 *       await their replies while the caller goes on; a failure is thrown by the channel's next
 *       publish or its close.</li>
 *   <li>The <b>event</b> connection (RESP3) is read only by the thread that dispatches deliveries —
 *       the caller of {@link #drainEvents} (through a private {@link java.nio.channels.Selector}) or the Hub thread.
 *       It carries the wake-ups, the pop scripts and the fanout subscriptions.</li>
 * </ul>
 *
 * <p><b>Waking without polling and without a loss window.</b> Kombu BRPOPs, which moves a message
 * into client memory before any record of it exists (a crash in between loses it, §12.3), and a
 * Lua script cannot block. Instead the event connection runs {@code CLIENT TRACKING on BCAST NOLOOP
 * PREFIX <queue key>...}: whenever anybody pushes to (or pops from) a consumed list, Redis sends
 * an {@code invalidate} push naming the key. That wake-up is non-destructive; on it the channel runs
 * the {@link Script#POP pop script}, which RPOPs and records in {@code unacked} atomically. NOLOOP
 * hides our own pops (they run on this same connection). Trade-offs: BCAST matches by prefix, so a
 * consumer of {@code q} is also woken by {@code q2} (the invalidated names are filtered exactly);
 * overlapping prefixes are refused by Redis, so only the shortest of overlapping ones is tracked,
 * and beyond {@value TrackingPrefixes#MAX_TRACKED_PREFIXES} prefixes shared leading parts are tracked instead (Redis
 * checks every write against every prefix); new prefixes are added with another {@code TRACKING on},
 * and the new queues popped after it; removing one is {@code TRACKING off} + {@code on} followed by a
 * pop of every queue, so a push in between is not missed; it needs Redis 6.2 or later (no BRPOP
 * fallback); an idle consumer sends nothing but a health-check PING. A wake-up pops only the queues
 * the push named; one round trip per wake-up when idle, batches (up to 100 or the free prefetch)
 * when busy, the same cost for 1 queue or 10,000. Subscription changes from consume() are applied
 * once per batch, before the event thread next waits (fanout consumers and the last cancel at once).
 *
 * <p>Timed-out unacknowledged messages ({@code visibility_timeout}) are restored every
 * {@code unacked_restore_interval} under Kombu's {@code unacked_mutex}, to the list they were
 * taken from (§12.8); records written by Python Kombu (no list recorded) are routed again, and
 * fanout records are dropped rather than pushed into lists nobody reads (§12.2). Messages our consumers
 * take are held under a lease ({@code _kombu4j.leases}) that a {@link LeaseRenewer} renews while they
 * live, so {@code lease_timeout} can be short; entries without a lease (Python's) keep Kombu's rule.
 *
 * <p><b>Delayed delivery and dead letters.</b> A delayed message waits in {@code _kombu4j.delayed.<queue>}
 * until a {@link DelayedMover} moves it into the queue's lists when due; dead-lettering is emulated by
 * {@link DeadLetterer} on the queue arguments in {@code _kombu4j.queue.args} ({@link QueueArguments}),
 * with the return count in the envelope ({@link DeliveryCount}).
 *
 * <p><b>Structure.</b> This class owns the two connections, the clock and the ticker, and wires the parts,
 * one job each: {@link MultiChannelPoller} (the event side: subscriptions, wake-ups, drain and Hub),
 * {@link RedisCatalog} (declarations), {@link RedisPublisher} per channel, {@link UnackedRestorer}
 * (visibility restores); a {@link RedisChannel} consumes through {@link ChannelConsumers},
 * {@link ListPopper} and {@link UnackedDeliveries}.
 *
 * <p><b>TLS.</b> {@code rediss://host:port/db} connects with TLS (an {@code SSLEngine} over the same
 * non-blocking sockets; the handshake is bounded by {@code socket_connect_timeout}). Options, under
 * Kombu/redis-py's names: {@code ssl_cert_reqs} = {@code required} (default) / {@code optional} /
 * {@code none} (also {@code CERT_REQUIRED}, {@code CERT_OPTIONAL}, {@code CERT_NONE}; {@code none}
 * encrypts without authenticating the server); {@code ssl_ca_certs} = a PEM file of trusted CA
 * certificates (default: the JVM's trust store); {@code ssl_certfile} + {@code ssl_keyfile} = a PEM
 * client certificate (chain) and its key, for servers with {@code tls-auth-clients yes} — the key must
 * be an unencrypted PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}; convert others with
 * {@code openssl pkcs8 -topk8 -nocrypt}), and may also sit in the certificate file;
 * {@code ssl_check_hostname} = whether the certificate must name the URL's host (default true with
 * {@code required}, false otherwise). A certificate or hostname verification failure is a
 * {@code ConfigurationException}; other TLS failures are {@code OperationalException}s. These options
 * are refused on {@code redis://}.
 */
public final class RedisTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(RedisTransport.class);

    static final TransportCapabilities CAPABILITIES = TransportCapabilities.builder(
            EnumSet.of(ExchangeType.DIRECT, ExchangeType.TOPIC, ExchangeType.FANOUT))
            .priorityOrder(PriorityOrder.LOWER_FIRST).canListQueues(true).fanoutIsDurable(false)
            .delayedDelivery(true).deadLetters(true).build();

    private final BrokerUrl url;
    private final Clock clock;
    private final RedisOptions options;
    // Replaced on each connect when a Sentinel or the cluster's slot map names the master.
    private volatile RedisEndpoint endpoint;
    private final @Nullable SentinelResolver sentinel;
    /** Set for {@code redis+cluster://}: the master is found on every connect. */
    private final @Nullable RedisCluster cluster;
    private final ReplicaWait replicaWait;
    private final int db;
    private final Keys keys;
    private final ExchangeRouter router = new ExchangeRouter();
    private final Routes routes;
    private final RedisCatalog catalog;
    private final PublishPipeline publishPipeline;
    private final TrackedPublishes trackedPublishes;
    private final UnackedRestorer restorer;
    private final DelayedMover delayedMover;
    private final QueueArguments queueArguments;
    private final LeaseRenewer leaseRenewer;
    /** Published and delivered counts and live consumers, for a monitor ({@link ClientStatsSink}). */
    private final org.kombu4j.transport.ClientStats clientStats;
    private final Object commandLock = new Object();
    private final List<RedisChannel> channels = new CopyOnWriteArrayList<>();
    private final MultiChannelPoller poller;
    private final Ticker ticker;
    private volatile @Nullable RedisConnection commands;
    private volatile @Nullable RedisConnection events;
    private volatile TransportListener listener = TransportListener.NONE;
    private volatile boolean closed;
    /** Set in a {@code layout=queue} cluster namespace: dead letters are routed across namespaces. */
    private volatile java.util.function.@Nullable Consumer<org.kombu4j.transport.OutgoingMessage> deadLetterSink;
    private volatile @Nullable RedisPublisher deadLetterPublisher;
    /** Set in a {@code layout=queue} cluster namespace: the shared connections to a master, by its endpoint. */
    private volatile java.util.function.@Nullable Function<RedisEndpoint, ClusterNodeLink> links;
    /** The shared connections this namespace uses now (with {@link #links}); null before connect. */
    private volatile @Nullable ClusterNodeLink link;

    RedisTransport(BrokerUrl url) {
        this(url, Clock.systemUTC(), Ticker.system());
    }

    /**
     * A transport reading time from {@code clock} and {@code ticker} (tests pass fake ones).
     *
     * @param clock wall-clock time: the {@code unacked_index} scores Kombu shares are epoch seconds (WIRE.md §6)
     * @param ticker monotonic time for intervals: health checks, restore pacing, drain deadlines
     */
    RedisTransport(BrokerUrl url, Clock clock, Ticker ticker) {
        this(url, url, RedisOptions.from(url), null, null, clock, ticker);
    }

    /**
     * A transport whose master {@code sentinel} finds on each connect ({@link SentinelTransportFactory}).
     *
     * @param url the URL shown in messages
     * @param redisUrl credentials, database and Redis options ({@code redis://}; its host is replaced by the master's)
     */
    RedisTransport(BrokerUrl url, BrokerUrl redisUrl, SentinelResolver sentinel, Clock clock, Ticker ticker) {
        this(url, redisUrl, RedisOptions.from(redisUrl), sentinel, null, clock, ticker);
    }

    /** A transport on a Redis Cluster: {@code options} already carry the namespace's hash tag. */
    RedisTransport(BrokerUrl url, RedisOptions options, RedisCluster cluster) {
        this(url, url, options, null, cluster, Clock.systemUTC(), Ticker.system());
    }

    private RedisTransport(BrokerUrl url, BrokerUrl redisUrl, RedisOptions options, @Nullable SentinelResolver sentinel,
            @Nullable RedisCluster cluster, Clock clock, Ticker ticker) {
        this.url = url;
        this.clock = clock;
        this.ticker = ticker;
        this.sentinel = sentinel;
        this.cluster = cluster;
        this.options = options;
        this.replicaWait = ReplicaWait.from(redisUrl, options);
        String vhost = redisUrl.virtualHost();
        int n = 0;
        if (vhost != null && !vhost.isEmpty()) {
            try {
                n = Integer.parseInt(vhost.startsWith("/") ? vhost.substring(1) : vhost);
                if (n < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new ConfigurationException("Redis database must be a number >= 0, got '" + vhost + "' in " + url.masked());
            }
        }
        this.db = n;
        this.endpoint = new RedisEndpoint(redisUrl.host().isEmpty() ? "localhost" : redisUrl.host(), redisUrl.port(6379),
                redisUrl.user(), redisUrl.password(), db, options.socketConnectTimeout(), options.socketTimeout(), options.tls());
        this.keys = new Keys(options, db);
        this.routes = new Routes(keys);
        this.catalog = new RedisCatalog(this);
        this.publishPipeline = new PublishPipeline(this);
        this.trackedPublishes = new TrackedPublishes(this);
        this.restorer = new UnackedRestorer(this, clock, ticker);
        this.delayedMover = new DelayedMover(this);
        this.queueArguments = new QueueArguments(this);
        this.leaseRenewer = new LeaseRenewer(this);
        this.clientStats = new org.kombu4j.transport.ClientStats(new ClientStatsSink(this), into -> {
            for (RedisChannel ch : channels) {
                ch.countConsumers(into);
            }
        });
        this.poller = new MultiChannelPoller(this, ticker);
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
        return CAPABILITIES;
    }

    public RedisOptions options() {
        return options;
    }

    /** Wall-clock time, for what is compared with other processes: the {@code unacked_index} scores (epoch seconds). */
    Clock clock() {
        return clock;
    }

    /** What a publish waits for before it returns ({@code wait_replicas}). */
    ReplicaWait replicaWait() {
        return replicaWait;
    }

    org.kombu4j.transport.ClientStats clientStats() {
        return clientStats;
    }

    Keys keys() {
        return keys;
    }

    ExchangeRouter router() {
        return router;
    }

    /** The client-side routing tables, kept valid by CLIENT TRACKING on the command connection. */
    Routes routes() {
        return routes;
    }

    /** Monotonic time for every timeout and window of this transport. */
    Ticker ticker() {
        return ticker;
    }

    /** Declarations, bindings, listing and purge: what Redis holds about exchanges and queues. */
    RedisCatalog catalog() {
        return catalog;
    }

    /** The transport-wide state of pipelined publishing (linger flush, NOSCRIPT retry barrier). */
    PublishPipeline publishPipeline() {
        return publishPipeline;
    }

    /** The publishes awaiting their replies without a caller waiting ({@link RedisPublisher#publishTracked}). */
    TrackedPublishes trackedPublishes() {
        return trackedPublishes;
    }

    /** Moves unacknowledged messages back to their lists: given back by channels, or timed out. */
    UnackedRestorer restorer() {
        return restorer;
    }

    /** Moves due delayed messages into the lists of the queues this transport consumes. */
    DelayedMover delayedMover() {
        return delayedMover;
    }

    /** The queues' dead-letter arguments, shared through Redis. */
    QueueArguments queueArguments() {
        return queueArguments;
    }

    /**
     * Where this transport's dead letters go instead of its own exchanges: set by a {@code layout=queue}
     * cluster transport, whose dead-letter exchange may route to queues in other namespaces.
     */
    void deadLetterSink(java.util.function.@Nullable Consumer<org.kombu4j.transport.OutgoingMessage> sink) {
        this.deadLetterSink = sink;
    }

    java.util.function.@Nullable Consumer<org.kombu4j.transport.OutgoingMessage> deadLetterSink() {
        return deadLetterSink;
    }

    /** A publisher of this transport's own, for messages handed over by a {@link #deadLetterSink}. */
    RedisPublisher deadLetterPublisher() {
        RedisPublisher p = deadLetterPublisher;
        if (p == null) {
            synchronized (this) {
                p = deadLetterPublisher;
                if (p == null) {
                    p = new RedisPublisher(this);
                    deadLetterPublisher = p;
                }
            }
        }
        return p;
    }

    /**
     * Makes this transport (a {@code layout=queue} cluster namespace) use the connections {@code links}
     * gives for its master, shared with the other namespaces on that master, instead of two of its own.
     */
    void shareConnections(java.util.function.Function<RedisEndpoint, ClusterNodeLink> links) {
        this.links = links;
    }

    /** The cluster namespace's hash tag, or null off a cluster. */
    @Nullable String clusterTag() {
        RedisCluster c = cluster;
        return c == null ? null : c.tag();
    }

    /** The shared connections in use, or null if this transport owns its connections. */
    @Nullable ClusterNodeLink link() {
        return link;
    }

    /** Pushes on the command connection: only the invalidations of the routing tables are expected. */
    void onCommandPush(RespPush push) {
        if (push.kind().equals(RespPush.INVALIDATE)) {
            routes.invalidate(push.invalidatedKeys());
        }
    }

    @Override
    public synchronized void connect() {
        if (closed) {
            throw new ClosedException("Redis transport to " + url.masked() + " is closed");
        }
        if (commands != null) {
            return;
        }
        if (sentinel != null) {
            endpoint = sentinel.resolve(endpoint);
        }
        if (cluster != null) {
            endpoint = cluster.resolveMaster(ticker);
        }
        java.util.function.Function<RedisEndpoint, ClusterNodeLink> shared = links;
        if (shared != null && cluster != null) {
            connectShared(shared.apply(endpoint));
            return;
        }
        RedisConnection cmd;
        RedisConnection ev;
        try {
            cmd = RedisConnection.open(endpoint, ticker, true, "kombu4j");
        } catch (OperationalException e) {
            if (cluster != null) {
                throw cluster.masterUnreachable(endpoint, e);
            }
            if (e.getMessage() != null && e.getMessage().contains("HELLO")) {
                throw new OperationalException("Redis at " + endpoint + " does not speak RESP3 (HELLO 3); kombu4j needs Redis 6 or later", e);
            }
            throw e;
        }
        ev = EventIo.openEvents(endpoint, ticker, cmd);
        cmd.onPush(this::onCommandPush);
        routes.disable();
        Object tracking;
        try {
            tracking = cmd.call(routes.trackingCommand());
        } catch (OperationalException e) {
            cmd.close();
            ev.close();
            throw e;
        }
        if (tracking instanceof RespError) {
            // e.g. an ACL without CLIENT: publishes route with the Lua script instead, as before.
            log.info("Redis at {} refused CLIENT TRACKING on the command connection ({}); publishes route on the server",
                    endpoint, ((RespError) tracking).message());
        } else {
            routes.enable();
        }
        ev.onPush(poller::onPush);
        commands = cmd;
        events = ev;
        if (sentinel != null) {
            sentinel.watch(this, endpoint);
        }
    }

    /** Connects through {@code l}, the connections to this namespace's master shared with its other namespaces. */
    private void connectShared(ClusterNodeLink l) {
        try {
            l.open(ticker);
        } catch (OperationalException e) {
            throw cluster.masterUnreachable(endpoint, e);
        }
        RedisConnection cmd = l.commands();
        routes.disable();
        Object tracking;
        synchronized (l.commandLock) {
            // Adds this namespace's binding prefixes to the connection's tracking (distinct hash tags never overlap).
            tracking = cmd.call(routes.trackingCommand());
        }
        if (tracking instanceof RespError err) {
            if (RedisCluster.isRedirect(err.message())) {
                l.close();
                throw new OperationalException("Redis Cluster at " + endpoint + " no longer serves the namespace: " + err.message());
            }
            log.info("Redis at {} refused CLIENT TRACKING on the command connection ({}); publishes route on the server",
                    endpoint, err.message());
        } else {
            routes.enable();
        }
        l.join(this);
        link = l;
        commands = cmd;
        events = l.events();
    }

    @Override
    public boolean isConnected() {
        RedisConnection c = commands;
        RedisConnection e = events;
        return !closed && c != null && c.isOpen() && e != null && e.isOpen();
    }

    @Override
    public TransportChannel createChannel() {
        connect();
        RedisChannel ch = new RedisChannel(this);
        channels.add(ch);
        leaseRenewer.start();
        return ch;
    }

    void channelClosed(RedisChannel ch) {
        channels.remove(ch);
        poller.subscriptionsChanged(MultiChannelPoller.Sync.BEFORE_RETURN);
    }

    /** A declare/bind/unbind through this connection: every channel reads the fanout bindings afresh on its next consume. */
    void fanoutBindingsChanged() {
        routes.clear(); // our own write's invalidation may arrive after its reply
        for (RedisChannel ch : channels) {
            ch.endConsumeBatch();
        }
    }

    /** Runs {@code f} on the command connection, one caller at a time. */
    <T> T commands(Function<RedisConnection, T> f) {
        if (commands == null || closed) {
            connect(); // synchronized: only until the first connection exists (and to refuse a closed transport)
        }
        ClusterNodeLink l = link;
        synchronized (l != null ? l.commandLock : commandLock) {
            RedisConnection c = commands;
            if (c == null || !c.isOpen()) {
                throw new OperationalException("Redis command connection to " + endpoint + " is closed");
            }
            if (cluster == null) {
                return f.apply(c);
            }
            try {
                T result = f.apply(c);
                if (result instanceof RespError err && RedisCluster.isRedirect(err.message())) {
                    // A raw reply the caller would not check (e.g. the restorer's mutex SET): still a moved slot.
                    throw new OperationalException("Redis Cluster at " + endpoint + " no longer serves the namespace: " + err.message());
                }
                return result;
            } catch (OperationalException e) {
                if (RedisCluster.isRedirect(e)) {
                    // The slot moved (failover, reshard): drop both connections so the next connect reads the topology.
                    closeConnections();
                }
                throw e;
            }
        }
    }

    /** The command connection, or null before connect; it may be closed. */
    @Nullable RedisConnection commandConnection() {
        return commands;
    }

    /**
     * {@link #commands} without connecting: for the reader of tracked publishes' replies, which must never open a
     * connection of its own accord.
     */
    <T> T commandsIfConnected(Function<RedisConnection, T> f) {
        ClusterNodeLink l = link;
        synchronized (l != null ? l.commandLock : commandLock) {
            RedisConnection c = commands;
            if (c == null || !c.isOpen()) {
                throw new OperationalException("Redis command connection to " + endpoint + " is closed");
            }
            return f.apply(c);
        }
    }

    /** Throws an error reply as an exception; returns other replies. */
    static @Nullable Object check(@Nullable Object reply, String what) {
        if (reply instanceof RespError) {
            throw new OperationalException("Redis refused " + what + ": " + ((RespError) reply).message());
        }
        return reply;
    }

    // ---------------------------------------------------------------- event side

    /** The event poller: subscriptions, wake-ups and the thread that dispatches deliveries. */
    MultiChannelPoller poller() {
        return poller;
    }

    /** The channels of this transport, in creation order. */
    List<RedisChannel> channels() {
        return channels;
    }

    boolean isClosed() {
        return closed;
    }

    /** The event connection, or null before connect; for the poller, which checks it is open. */
    @Nullable RedisConnection eventConnection() {
        return events;
    }

    /** The event connection, for the event thread only. */
    RedisConnection events() {
        RedisConnection e = events;
        if (e == null || !e.isOpen()) {
            throw new OperationalException("Redis event connection to " + endpoint + " is closed");
        }
        return e;
    }

    @Override
    public boolean drainEvents(Duration timeout) {
        if (closed) {
            throw new ClosedException("Redis transport to " + url.masked() + " is closed");
        }
        if (poller.onHub()) {
            throw new IllegalStateException("this connection is registered with a Hub: its deliveries run on the hub thread, drainEvents cannot be used");
        }
        connect();
        return poller.drain(timeout);
    }

    @Override
    public void setListener(TransportListener listener) {
        this.listener = java.util.Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void registerWithEventLoop(Hub hub) {
        Objects.requireNonNull(hub, "hub");
        connect();
        poller.register(hub);
    }

    /** The event connection failed under the hub: close both connections and tell the listener. */
    void connectionLost(OperationalException e) {
        closeConnections();
        listener.onConnectionLost(e);
    }

    /**
     * Ends both connections from any thread as if the server had closed them (a Sentinel failover): the
     * event side and the next command fail as on any lost connection, and users reconnect.
     */
    void dropConnections(String why) {
        log.warn("{}: dropping the connections to {}", why, endpoint);
        for (RedisConnection c : new RedisConnection[] {commands, events}) {
            if (c != null) {
                try {
                    c.socket().shutdownInput();
                    c.socket().shutdownOutput();
                } catch (java.io.IOException | RuntimeException e) {
                    c.close();
                }
            }
        }
    }

    void closeConnections() {
        ClusterNodeLink l = link;
        if (l != null) {
            l.close(); // shared: every namespace on this master goes, and the Connection rebuilds the transport
        }
        EventIo.closeConnections(commands, events);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (isConnected()) {
            trackedPublishes.awaitOutstanding(options.socketTimeout().toMillis());
        }
        for (RedisChannel ch : channels) {
            try {
                ch.close();
            } catch (RuntimeException e) {
                log.debug("error closing channel (its unacked messages will be restored after visibility_timeout)", e);
            }
        }
        clientStats.close(); // the last counts, and this client's consumer record removed, while connected
        closed = true;
        if (sentinel != null) {
            sentinel.stopWatching();
        }
        leaseRenewer.stop();
        publishPipeline.close();
        poller.close();
        closeConnections();
        trackedPublishes.close(); // after the connections: what their close failed is completed first
    }

    @Override
    public String toString() {
        return "RedisTransport(" + url.masked() + ")";
    }
}
