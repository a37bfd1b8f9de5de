package org.kombu4j.redis;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ClosedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.ExchangeType;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.hub.TimerEntry;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;
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
 *       the caller of {@link #drainEvents} (through a private {@link Selector}) or the Hub thread.
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
 * and beyond {@value #MAX_TRACKED_PREFIXES} prefixes shared leading parts are tracked instead (Redis
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
 * fanout records are dropped rather than pushed into lists nobody reads (§12.2).
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

    static final TransportCapabilities CAPABILITIES = new TransportCapabilities(
            EnumSet.of(ExchangeType.DIRECT, ExchangeType.TOPIC, ExchangeType.FANOUT), PriorityOrder.LOWER_FIRST, false,
            true, false);

    private final BrokerUrl url;
    private final RedisOptions options;
    private final RedisEndpoint endpoint;
    private final int db;
    private final Keys keys;
    private final ExchangeRouter router = new ExchangeRouter();
    private final Routes routes;
    private final RedisCatalog catalog;
    private final PublishPipeline publishPipeline;
    private final UnackedRestorer restorer;
    private final Object commandLock = new Object();
    private final ReentrantLock drainLock = new ReentrantLock();
    private final List<RedisChannel> channels = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean subscriptionSyncPosted = new AtomicBoolean();
    private volatile @Nullable RedisConnection commands;
    private volatile @Nullable RedisConnection events;
    private volatile @Nullable Selector selector;
    private volatile @Nullable Hub hub;
    private volatile TransportListener listener = TransportListener.NONE;
    private volatile @Nullable TimerEntry periodicTimer;
    private volatile @Nullable Thread eventThread;
    private volatile boolean closed;

    // Event-thread state.
    private final Set<String> trackedPrefixes = new TreeSet<>();
    private final Map<String, String> subscribedPatterns = new HashMap<>();
    private int delivered;
    private boolean inlineSync;
    private long lastIo = System.nanoTime();

    RedisTransport(BrokerUrl url) {
        this.url = url;
        this.options = RedisOptions.from(url);
        String vhost = url.virtualHost();
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
        this.endpoint = new RedisEndpoint(url.host().isEmpty() ? "localhost" : url.host(), url.port(6379), url.user(),
                url.password(), db, options.socketConnectTimeout(), options.socketTimeout(), options.tls());
        this.keys = new Keys(options, db);
        this.routes = new Routes(keys);
        this.catalog = new RedisCatalog(this);
        this.publishPipeline = new PublishPipeline(this);
        this.restorer = new UnackedRestorer(this, Clock.systemUTC(), Ticker.system());
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

    /** Declarations, bindings, listing and purge: what Redis holds about exchanges and queues. */
    RedisCatalog catalog() {
        return catalog;
    }

    /** The transport-wide state of pipelined publishing (linger flush, NOSCRIPT retry barrier). */
    PublishPipeline publishPipeline() {
        return publishPipeline;
    }

    /** Moves unacknowledged messages back to their lists: given back by channels, or timed out. */
    UnackedRestorer restorer() {
        return restorer;
    }

    /** Pushes on the command connection: only the invalidations of the routing tables are expected. */
    private void onCommandPush(RespPush push) {
        if (push.kind().equals("invalidate")) {
            routes.invalidate(invalidatedKeys(push));
        }
    }

    /** The keys an {@code invalidate} push names, or null when it names none (a flush: everything changed). */
    private static @Nullable List<Object> invalidatedKeys(RespPush push) {
        List<Object> items = push.items();
        Object ks = items.size() > 1 ? items.get(1) : null;
        return ks instanceof List ? Resp.array(ks) : null;
    }

    @Override
    public synchronized void connect() {
        if (closed) {
            throw new ClosedException("Redis transport to " + url.masked() + " is closed");
        }
        if (commands != null) {
            return;
        }
        RedisConnection cmd;
        RedisConnection ev;
        try {
            cmd = RedisConnection.open(endpoint, true, "kombu4j");
        } catch (OperationalException e) {
            if (e.getMessage() != null && e.getMessage().contains("HELLO")) {
                throw new OperationalException("Redis at " + endpoint + " does not speak RESP3 (HELLO 3); kombu4j needs Redis 6 or later", e);
            }
            throw e;
        }
        try {
            ev = RedisConnection.open(endpoint, true, "kombu4j-events");
        } catch (OperationalException e) {
            cmd.close();
            throw e;
        }
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
        ev.onPush(this::onPush);
        commands = cmd;
        events = ev;
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
        return ch;
    }

    void channelClosed(RedisChannel ch) {
        channels.remove(ch);
        subscriptionsChanged(true);
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
        synchronized (commandLock) {
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

    // ---------------------------------------------------------------- event thread

    /** Runs {@code r} on the event thread: the Hub's, or the next {@link #drainEvents} call's. */
    void post(Runnable r) {
        Hub h = hub;
        if (h != null) {
            h.callSoon(r);
            return;
        }
        tasks.add(r);
        Selector s = selector;
        if (s != null) {
            s.wakeup();
        }
    }

    boolean inEventThread() {
        Hub h = hub;
        return h != null ? h.inHubThread() : eventThread == Thread.currentThread();
    }

    /** The event connection, for the event thread only. */
    RedisConnection events() {
        RedisConnection e = events;
        if (e == null || !e.isOpen()) {
            throw new OperationalException("Redis event connection to " + endpoint + " is closed");
        }
        return e;
    }

    void noteDelivered() {
        delivered++;
    }

    /**
     * Consumers or bindings changed: re-sync tracking prefixes and fanout subscriptions on the event thread.
     *
     * @param barrier whether to apply it before returning when nobody is draining (fanout consumers
     *     must be subscribed when consume() returns). Without it the sync is only marked due and runs
     *     once, before the event thread next waits — so a batch of 10,000 consume() calls costs one
     *     sync, not 10,000 — and it pops the new queues after tracking them, so a message pushed at
     *     any time after consume() returns is found.
     */
    void subscriptionsChanged(boolean barrier) {
        if (closed) {
            return;
        }
        if (barrier && hub == null && !inEventThread() && drainLock.tryLock()) {
            // Nobody is draining: apply it now and wait until Redis has it, so that a fanout
            // consumer is subscribed before consume() returns (pub/sub keeps nothing for latecomers).
            eventThread = Thread.currentThread();
            inlineSync = true;
            try {
                syncSubscriptions();
                boolean[] done = {false};
                events().send(List.of("PING"), r -> done[0] = true);
                pump(System.nanoTime() + options.socketTimeout().toNanos(), () -> done[0]);
            } catch (OperationalException e) {
                closeConnections();
                throw e;
            } finally {
                inlineSync = false;
                eventThread = null;
                drainLock.unlock();
            }
            return;
        }
        if (subscriptionSyncPosted.compareAndSet(false, true)) {
            post(this::syncSubscriptions);
        }
    }

    private void syncSubscriptions() {
        subscriptionSyncPosted.set(false);
        RedisConnection ev = events;
        if (closed || ev == null || !ev.isOpen()) {
            return;
        }
        Set<String> wantedKeys = new TreeSet<>();
        Map<String, String> wantedPatterns = new HashMap<>();
        List<RedisChannel> synced = new ArrayList<>(channels);
        List<List<String>> added = new ArrayList<>(synced.size());
        for (RedisChannel ch : synced) {
            ch.endConsumeBatch();
            // Taken before the tracking command is written: a queue added after this is popped by the next sync.
            added.add(ch.takeAddedQueues());
            for (String q : ch.consumedListQueues()) {
                wantedKeys.add(keys.queue(q, 0));
            }
            for (String ex : ch.fanoutExchanges()) {
                String base = Keys.escapeGlob(keys.fanoutChannel(ex));
                wantedPatterns.put(base, ex);
                wantedPatterns.put(base + "/*", ex);
            }
        }
        Set<String> prefixes = trackingPrefixes(wantedKeys);
        boolean rebuilt = false;
        if (!prefixes.equals(trackedPrefixes)) {
            List<String> newPrefixes = new ArrayList<>();
            for (String p : prefixes) {
                if (!trackedPrefixes.contains(p)) {
                    newPrefixes.add(p);
                }
            }
            if (prefixes.containsAll(trackedPrefixes)) {
                // Only additions: CLIENT TRACKING on again adds prefixes to the ones tracked (Redis >= 6.2),
                // without the off/on gap, so only the new queues need a pop. Both sets are overlap-free
                // by construction, so Redis accepts them.
                trackingOn(ev, newPrefixes);
            } else {
                // A prefix went away (or a shorter one replaced it): off, then on with the whole set.
                // Pushes in the gap raise no wake-up, so every channel sweeps afterwards.
                if (!trackedPrefixes.isEmpty()) {
                    ev.send(List.of("CLIENT", "TRACKING", "off"), r -> logError(r, "CLIENT TRACKING off"));
                }
                trackingOn(ev, prefixes);
                rebuilt = true;
            }
            trackedPrefixes.clear();
            trackedPrefixes.addAll(prefixes);
        }
        List<String> add = new ArrayList<>();
        for (String p : wantedPatterns.keySet()) {
            if (!subscribedPatterns.containsKey(p)) {
                add.add(p);
            }
        }
        List<String> remove = new ArrayList<>();
        for (String p : subscribedPatterns.keySet()) {
            if (!wantedPatterns.containsKey(p)) {
                remove.add(p);
            }
        }
        if (!add.isEmpty()) {
            List<Object> cmd = new ArrayList<>();
            cmd.add("PSUBSCRIBE");
            cmd.addAll(add);
            ev.sendWithoutReply(cmd);
        }
        if (!remove.isEmpty()) {
            // PUNSUBSCRIBE, not UNSUBSCRIBE: Kombu's mismatch leaves patterns subscribed (§12.10).
            List<Object> cmd = new ArrayList<>();
            cmd.add("PUNSUBSCRIBE");
            cmd.addAll(remove);
            ev.sendWithoutReply(cmd);
        }
        subscribedPatterns.clear();
        subscribedPatterns.putAll(wantedPatterns);
        // A push before tracking covered a queue raised no wake-up: pop the newly tracked queues (all of
        // them after a rebuild) now, after the tracking command on the same connection (from a drain or
        // the hub, so that deliveries run on the thread that owns them).
        boolean sweepAll = rebuilt;
        for (int i = 0; i < added.size(); i++) {
            RedisChannel ch = synced.get(i);
            List<String> a = added.get(i);
            if (inlineSync) {
                tasks.add(() -> ch.afterSync(sweepAll, a));
            } else {
                ch.afterSync(sweepAll, a);
            }
        }
        flushEvents();
    }

    /**
     * Most BCAST prefixes tracked. Redis compares every written key with every BCAST prefix (and walks
     * them all before each event-loop sleep), so 10,000 prefixes would slow every write on the server;
     * beyond this many, queue keys are tracked by shared leading parts instead (see {@link #trackingPrefixes}).
     */
    static final int MAX_TRACKED_PREFIXES = 128;

    /**
     * The BCAST prefixes that cover {@code keys} (sorted): Redis refuses overlapping prefixes, so the
     * shortest of overlapping ones covers the others (sorted order puts it first). If that leaves
     * more than {@link #MAX_TRACKED_PREFIXES}, every key is cut to the longest length that leaves at
     * most that many: a coarser prefix also wakes us for keys we do not consume, which the channels
     * filter out exactly (only the cost of a push, never a wrong pop), while each write on the server
     * stays cheap. Never coarser than one character.
     */
    static Set<String> trackingPrefixes(Set<String> keys) {
        Set<String> exact = coverOf(keys, Integer.MAX_VALUE);
        if (exact.size() <= MAX_TRACKED_PREFIXES) {
            return exact;
        }
        int lo = 1;
        int hi = 0;
        for (String k : exact) {
            hi = Math.max(hi, k.length());
        }
        // The count of cover(L) grows with L: find the largest L whose cover is small enough.
        Set<String> best = coverOf(exact, 1);
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Set<String> c = coverOf(exact, mid);
            if (c.size() <= MAX_TRACKED_PREFIXES) {
                best = c;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    private static Set<String> coverOf(Set<String> keys, int maxLength) {
        Set<String> cut = new TreeSet<>();
        for (String k : keys) {
            cut.add(k.length() > maxLength ? k.substring(0, maxLength) : k);
        }
        Set<String> out = new TreeSet<>();
        String last = null;
        for (String k : cut) {
            if (last != null && k.startsWith(last)) {
                continue;
            }
            out.add(k);
            last = k;
        }
        return out;
    }

    /** Most PREFIX arguments in one CLIENT TRACKING command, to keep each command a modest size. */
    private static final int PREFIXES_PER_COMMAND = 1000;

    private static void trackingOn(RedisConnection ev, java.util.Collection<String> prefixes) {
        List<Object> cmd = null;
        int n = 0;
        for (String p : prefixes) {
            if (cmd == null) {
                cmd = new ArrayList<>(List.of("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"));
            }
            cmd.add("PREFIX");
            cmd.add(p);
            if (++n == PREFIXES_PER_COMMAND) {
                ev.send(cmd, r -> logError(r, "CLIENT TRACKING on"));
                cmd = null;
                n = 0;
            }
        }
        if (cmd != null) {
            ev.send(cmd, r -> logError(r, "CLIENT TRACKING on"));
        }
    }

    /** Writes what the event connection holds; what the socket does not take now is written when it is writable. */
    void flushEvents() {
        RedisConnection ev = events;
        if (ev != null && ev.isOpen() && !ev.flush()) {
            Hub h = hub;
            if (h != null) {
                h.addWriter(ev.socket(), this::onHubWritable);
            }
            // Without a hub, the drain loop selects for OP_WRITE while bytes are pending.
        }
    }

    private static void logError(@Nullable Object reply, String what) {
        if (reply instanceof RespError) {
            log.warn("Redis refused {}: {}", what, ((RespError) reply).message());
        }
    }

    private void onPush(RespPush push) {
        if (inlineSync) {
            // Deliveries belong to the thread calling drainEvents, not to the one calling consume().
            tasks.add(() -> onPush(push));
            return;
        }
        List<Object> items = push.items();
        switch (push.kind()) {
            case "invalidate": {
                List<Object> ks = invalidatedKeys(push);
                if (ks == null) {
                    for (RedisChannel ch : channels) {
                        ch.requestSweep(); // null: a flush; everything may have changed
                    }
                    return;
                }
                Set<String> touched = new HashSet<>();
                for (Object k : ks) {
                    touched.add(Resp.text(k));
                }
                for (RedisChannel ch : channels) {
                    if (ch.noteTouched(touched)) {
                        ch.requestPop();
                    }
                }
                return;
            }
            case "pmessage": {
                if (items.size() < 4) {
                    return;
                }
                String exchange = subscribedPatterns.get(Resp.text(items.get(1)));
                if (exchange == null) {
                    return;
                }
                byte[] payload = (byte[]) items.get(3);
                for (RedisChannel ch : channels) {
                    ch.deliverFanout(exchange, payload);
                }
                return;
            }
            default:
                // psubscribe/punsubscribe confirmations and others need no action.
        }
    }

    @Override
    public boolean drainEvents(Duration timeout) {
        if (closed) {
            throw new ClosedException("Redis transport to " + url.masked() + " is closed");
        }
        if (hub != null) {
            throw new IllegalStateException("this connection is registered with a Hub: its deliveries run on the hub thread, drainEvents cannot be used");
        }
        connect();
        drainLock.lock();
        try {
            eventThread = Thread.currentThread();
            delivered = 0;
            return pump(System.nanoTime() + Math.max(0, timeout.toNanos()), () -> delivered > 0);
        } catch (OperationalException e) {
            closeConnections();
            throw e;
        } finally {
            eventThread = null;
            drainLock.unlock();
        }
    }

    /** Runs posted tasks and dispatches the event connection until {@code done} or the deadline. */
    private boolean pump(long deadline, BooleanSupplier done) {
        RedisConnection ev = events();
        Selector sel = selector;
        SelectionKey key;
        try {
            if (sel == null) {
                sel = Selector.open();
                selector = sel;
            }
            key = ev.socket().keyFor(sel);
            if (key == null) {
                key = ev.socket().register(sel, SelectionKey.OP_READ);
            }
        } catch (IOException e) {
            throw new OperationalException("cannot watch the Redis event connection: " + e.getMessage(), e);
        }
        while (true) {
            // Inline (from consume()) only the subscription barrier is awaited; posted work waits for a drain.
            for (Runnable r; !inlineSync && (r = tasks.poll()) != null;) {
                r.run();
            }
            if (!inlineSync) {
                periodic();
            }
            if (done.getAsBoolean()) {
                return true;
            }
            boolean pendingWrite = !ev.flush();
            key.interestOps(SelectionKey.OP_READ | (pendingWrite ? SelectionKey.OP_WRITE : 0));
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                sel.select(Math.max(1, Math.min(left / 1_000_000, 1000)));
            } catch (IOException e) {
                throw new OperationalException("select failed: " + e.getMessage(), e);
            }
            boolean readable = sel.selectedKeys().remove(key) && key.isValid() && key.isReadable();
            sel.selectedKeys().clear();
            if (readable) {
                lastIo = System.nanoTime();
                ev.onReadable();
            }
        }
    }

    /** Health checks and the visibility-timeout restore, from the event thread. */
    private void periodic() {
        long now = System.nanoTime();
        if (now - lastIo > options.healthCheckInterval().toNanos()) {
            lastIo = now;
            events().send(List.of("PING"), r -> { });
        }
        restorer.restoreDue();
    }

    /**
     * Hands the event connection to {@code hub}: its socket is registered with {@link Hub#addReader}
     * (and {@link Hub#addWriter} while a write is pending), posted work goes through
     * {@link Hub#callSoon}, and health checks and visibility restores run on a hub timer.
     */
    @Override
    public void setListener(TransportListener listener) {
        this.listener = java.util.Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void registerWithEventLoop(Hub hub) {
        Objects.requireNonNull(hub, "hub");
        connect();
        drainLock.lock();
        try {
            if (this.hub == hub) {
                return;
            }
            this.hub = hub;
        } finally {
            drainLock.unlock();
        }
        RedisConnection ev = events();
        hub.addReader(ev.socket(), this::onHubReadable);
        periodicTimer = hub.callRepeatedly(Duration.ofSeconds(1), () -> {
            if (!closed && isConnected()) {
                periodic();
                flushEvents();
            }
        });
        for (Runnable r; (r = tasks.poll()) != null;) {
            hub.callSoon(r);
        }
        subscriptionsChanged(true);
    }

    private void onHubReadable() {
        RedisConnection ev = events;
        if (closed || ev == null || !ev.isOpen()) {
            return;
        }
        try {
            lastIo = System.nanoTime();
            ev.onReadable();
            flushEvents();
        } catch (OperationalException e) {
            log.warn("Redis event connection lost: {}", e.getMessage());
            detachFromHub();
            closeConnections();
            listener.onConnectionLost(e);
        }
    }

    private void onHubWritable() {
        RedisConnection ev = events;
        Hub h = hub;
        try {
            if (ev == null || !ev.isOpen() || ev.flush()) {
                if (h != null && ev != null) {
                    h.removeWriter(ev.socket());
                }
            }
        } catch (OperationalException e) {
            log.warn("Redis event connection lost: {}", e.getMessage());
            detachFromHub();
            closeConnections();
            listener.onConnectionLost(e);
        }
    }

    private void detachFromHub() {
        Hub h = hub;
        RedisConnection ev = events;
        TimerEntry t = periodicTimer;
        if (t != null) {
            t.cancel();
        }
        if (h != null && ev != null && !h.isClosed()) {
            h.remove(ev.socket());
        }
    }

    private void closeConnections() {
        RedisConnection c = commands;
        RedisConnection e = events;
        if (c != null) {
            c.close();
        }
        if (e != null) {
            e.close();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (RedisChannel ch : channels) {
            try {
                ch.close();
            } catch (RuntimeException e) {
                log.debug("error closing channel (its unacked messages will be restored after visibility_timeout)", e);
            }
        }
        closed = true;
        publishPipeline.close();
        detachFromHub();
        closeConnections();
        Selector s = selector;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // Nothing to do.
            }
        }
    }

    @Override
    public String toString() {
        return "RedisTransport(" + url.masked() + ")";
    }
}
