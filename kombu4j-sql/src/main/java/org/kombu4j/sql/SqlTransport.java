package org.kombu4j.sql;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ClosedException;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.EventInbox;
import org.kombu4j.transport.PriorityOrder;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportCapabilities;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportListener;
import org.kombu4j.transport.virtual.DeadLetterPolicy;
import org.kombu4j.transport.virtual.Envelope;
import org.kombu4j.transport.virtual.StoredMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL transport: messages are rows of Kombu's {@code kombu_message} table. Three JDBC connections
 * at most: the <em>control</em> connection for callers (declarations, synchronous publishes, restores;
 * one caller at a time), the {@link Fetcher}'s (claims, deletes, lease renewal and sweeping, on its own
 * thread, started by the first consumer or ack), and the {@link PublishBatcher}'s with
 * {@code publish_pipeline=N}. Deliveries run on the thread calling {@link #drainEvents} or on a
 * {@link Hub}, never on the fetcher's thread, so a slow handler never holds up claims or acks.
 *
 * <p>Acknowledgements are asynchronous: an ack queues the row's delete, which the fetcher writes in
 * batches within milliseconds. A process that dies first leaves the row leased; when the lease
 * ({@code visibility_timeout}) runs out another consumer gets it again (at least once, never lost).
 */
final class SqlTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(SqlTransport.class);
    /** Deliveries per event-thread turn before other work there gets a go. */
    static final int BATCH = 256;

    static final TransportCapabilities CAPABILITIES = TransportCapabilities.builder(EnumSet.allOf(ExchangeType.class))
            .priorityOrder(PriorityOrder.HIGHER_FIRST).canListQueues(true).delayedDelivery(true).deadLetters(true).build();

    /** Work done on the control connection. */
    @FunctionalInterface
    interface StoreWork<T> {
        T run(SqlStore store) throws SQLException;
    }

    private final SqlUrl url;
    private final Object controlLock = new Object();
    private @Nullable SqlStore control; // guarded by controlLock
    private volatile @Nullable Schema schema;
    private final List<SqlChannel> channels = new CopyOnWriteArrayList<>();
    private final EventInbox inbox = new EventInbox(Ticker.system(), () -> { });
    private final AtomicBoolean deliveryScheduled = new AtomicBoolean();
    private final Runnable deliverTask = this::deliverParked;
    private final Fetcher fetcher;
    private volatile @Nullable PublishBatcher batcher;
    private final ConcurrentHashMap<String, Long> queueIds = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ExchangeType> exchangeTypes = new ConcurrentHashMap<>();
    /** Queues' dead-letter arguments, read once per queue (declared, or looked up at first need). */
    private final ConcurrentHashMap<String, Optional<DeadLetterPolicy>> deadLetterPolicies = new ConcurrentHashMap<>();
    /** Event thread only: deliveries made since the current {@link #drainEvents} began. */
    private int delivered;
    private volatile boolean connected;
    private volatile boolean closed;
    /** Published and delivered counts and live consumers, for a monitor ({@link ClientStatsWriter}). */
    private final org.kombu4j.transport.ClientStats clientStats = new org.kombu4j.transport.ClientStats(new ClientStatsWriter(this), into -> {
        for (SqlChannel ch : channels) {
            ch.countConsumers(into);
        }
    });

    SqlTransport(SqlUrl url) {
        this.url = url;
        this.fetcher = new Fetcher(this, url);
    }

    @Override
    public String name() {
        return url.dialect().name().toLowerCase(Locale.ROOT);
    }

    @Override
    public BrokerUrl url() {
        return url.url();
    }

    SqlUrl sqlUrl() {
        return url;
    }

    @Override
    public TransportCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public void connect() {
        synchronized (controlLock) {
            checkNotClosed();
            if (control == null) {
                control = openStore();
            }
            connected = true;
        }
    }

    /** Opens a connection (making sure of the tables the first time). */
    SqlStore openStore() {
        try {
            SqlStore s = SqlStore.open(url, schema);
            schema = s.schema();
            return s;
        } catch (SQLException e) {
            throw SqlErrors.onConnect(url, e);
        }
    }

    @Override
    public boolean isConnected() {
        return connected && !closed;
    }

    @Override
    public TransportChannel createChannel() {
        connect();
        SqlChannel ch = new SqlChannel(this);
        channels.add(ch);
        return ch;
    }

    List<SqlChannel> channels() {
        return channels;
    }

    void channelClosed(SqlChannel ch) {
        channels.remove(ch);
    }

    /**
     * Runs {@code work} on the control connection, reconnecting first if the last use found it broken.
     *
     * @param doing what the work does, for the message of the exception a failure becomes
     */
    <T> T control(String doing, StoreWork<T> work) {
        return control(doing, true, work);
    }

    /** {@link #control}; {@code openOnly} false for the restores a close makes after it began. */
    private <T> T control(String doing, boolean openOnly, StoreWork<T> work) {
        flushPublishes();
        synchronized (controlLock) {
            if (openOnly) {
                checkNotClosed();
            }
            if (control == null) {
                control = openStore();
                connected = true;
            }
            SqlStore s = control;
            try {
                return work.run(s);
            } catch (SQLException e) {
                if (SqlErrors.isConnectionLoss(e)) {
                    s.close();
                    control = null;
                }
                throw SqlErrors.onStatement(url, doing, e);
            }
        }
    }

    private void checkNotClosed() {
        if (closed) {
            throw new ClosedException("SQL transport for " + url.describe() + " is closed");
        }
    }

    // ---------------------------------------------------------------- caches of names

    /** The id of a queue, or null if there is none (ids are cached: a queue keeps its id until deleted). */
    @Nullable Long queueId(String name) {
        Long id = queueIds.get(name);
        if (id != null) {
            return id;
        }
        id = control("look up queue '" + name + "'", s -> s.catalog().queueId(name));
        if (id != null) {
            queueIds.put(name, id);
        }
        return id;
    }

    void rememberQueue(String name, long id) {
        queueIds.put(name, id);
    }

    void forgetQueue(String name) {
        queueIds.remove(name);
        deadLetterPolicies.remove(name);
    }

    /** A queue's dead-letter arguments (stored by whichever process declared it with them), or null. */
    @Nullable DeadLetterPolicy deadLetterPolicy(String queue) {
        Optional<DeadLetterPolicy> p = deadLetterPolicies.get(queue);
        if (p == null) {
            p = Optional.ofNullable(control("read the arguments of queue '" + queue + "'", s -> s.catalog().deadLetterPolicy(queue)));
            deadLetterPolicies.put(queue, p);
        }
        return p.orElse(null);
    }

    void rememberDeadLetterPolicy(String queue, @Nullable DeadLetterPolicy p) {
        deadLetterPolicies.put(queue, Optional.ofNullable(p));
    }

    boolean knowsDeadLetterPolicy(String queue) {
        return deadLetterPolicies.containsKey(queue);
    }

    /** Stops renewing the lease of a held row: it returns to its queue when the lease ends. */
    void abandon(long id) {
        fetcher.forget(List.of(id));
    }

    /** A held row became a dead letter (or was dropped): no more lease to renew; wake consumers of where it went. */
    void deadLettered(long id, boolean inserted) {
        fetcher.forget(List.of(id));
        if (inserted) {
            published();
        }
    }

    @Nullable ExchangeType exchangeType(String name) {
        ExchangeType t = exchangeTypes.get(name);
        if (t != null) {
            return t;
        }
        t = control("look up exchange '" + name + "'", s -> s.catalog().exchangeType(name));
        if (t != null) {
            exchangeTypes.put(name, t);
        }
        return t;
    }

    void rememberExchange(String name, ExchangeType type) {
        exchangeTypes.put(name, type);
    }

    void forgetExchange(String name) {
        exchangeTypes.remove(name);
    }

    // ---------------------------------------------------------------- publishing

    boolean pipelined() {
        return url.options().publishPipeline() > 0;
    }

    PublishBatcher batcher() {
        PublishBatcher b = batcher;
        if (b == null) {
            synchronized (this) {
                checkNotClosed();
                b = batcher;
                if (b == null) {
                    b = new PublishBatcher(this, url, url.options().publishPipeline());
                    batcher = b;
                }
            }
        }
        return b;
    }

    /**
     * Waits until pipelined publishes queued so far are written, so that what a connection does after
     * a publish (a declare, a purge, a get, a consume) sees it, as on a broker that keeps a channel's order.
     */
    void flushPublishes() {
        PublishBatcher b = batcher;
        if (b != null && !b.isWriterThread()) {
            b.flush(30_000);
        }
    }

    /** A message was written: consumers of this database in this process need not wait for their probe. */
    void published() {
        LocalWakeups.signal(url);
    }

    /** {@link #published()}; {@code deliverAt} non-zero for a delayed message: consumers here learn its due time. */
    void published(long deliverAt) {
        if (deliverAt == 0) {
            published();
        } else {
            LocalWakeups.delayed(url, deliverAt);
        }
    }

    // ---------------------------------------------------------------- consuming

    org.kombu4j.transport.ClientStats clientStats() {
        return clientStats;
    }

    void consumerAdded() {
        clientStats.start();
        fetcher.start();
        fetcher.consumersChanged();
    }

    void wakeFetcher() {
        fetcher.signal();
    }

    /** A channel delivered the last row it had parked: a claim deferred for more acks need wait no longer. */
    void parkedDrained() {
        fetcher.parkedDrained();
    }

    /** Settles a delivered message: its row is deleted (in the fetcher's next batch). */
    void settle(StoredMessage m) {
        if (m.receipt() instanceof Long id) {
            fetcher.start();
            fetcher.ack(id);
        }
    }

    /** Makes rows this transport held ready again (a restore); failures are logged: the lease brings them back. */
    void release(Collection<Long> ids) {
        release(ids, false);
    }

    /** {@link #release(Collection)}; {@code undelivered}: rows claimed that no consumer got (not counted as deliveries). */
    void release(Collection<Long> ids, boolean undelivered) {
        if (ids.isEmpty()) {
            return;
        }
        fetcher.forget(ids);
        if (closed && control == null) {
            log.warn("{} messages stay leased on {}: the transport closed; they return when their lease ends",
                    ids.size(), url.describe());
            return;
        }
        try {
            control("return messages to their queue", false, s -> {
                s.release(ids, undelivered);
                return null;
            });
            published();
        } catch (KombuException e) {
            log.warn("could not return {} messages to their queues on {} ({}); they return when their lease ends",
                    ids.size(), url.describe(), e.getMessage());
        }
    }

    /** A get(): one row straight from the database, leased like the fetcher's. */
    @Nullable StoredMessage claimOne(String queue) {
        Long id = queueId(queue);
        if (id == null) {
            return null;
        }
        long until = System.currentTimeMillis() + url.options().visibilityTimeout().toMillis();
        // Due delayed rows and expired leases of this queue first: no consumer of it may be sweeping.
        List<SqlStore.Claimed> rows = control("take a message from queue '" + queue + "'", s -> {
            s.sweep(List.of(id), System.currentTimeMillis());
            return s.claim(id, 1, until);
        });
        if (rows.isEmpty()) {
            return null;
        }
        SqlStore.Claimed c = rows.get(0);
        fetcher.hold(c.id());
        fetcher.start(); // renews the lease while the message is held
        return toMessage(c);
    }

    /** The message a claimed row carries, its receipt the row id. */
    static StoredMessage toMessage(SqlStore.Claimed c) {
        Envelope.Decoded d;
        try {
            d = Envelope.decode(c.payload());
        } catch (RuntimeException e) {
            // Not a Kombu envelope: delivered as it is, so the consumer's decode-error handling decides its fate.
            return new StoredMessage(new org.kombu4j.transport.RawMessage(c.payload(), null, null, java.util.Map.of(),
                    java.util.Map.of()), "", "", c.deliveryCount() > 1, c.id(), c.deliveryCount());
        }
        return new StoredMessage(d.message(), d.exchange(), d.routingKey(), d.redelivered() || c.deliveryCount() > 1, c.id(),
                c.deliveryCount());
    }

    /** The fetcher parked rows in channels: deliver them on the event thread. */
    void postDelivery() {
        if (deliveryScheduled.compareAndSet(false, true)) {
            try {
                inbox.post(deliverTask);
            } catch (ClosedException e) {
                deliveryScheduled.set(false); // the hub closed: nobody delivers for this connection any more
            }
        }
    }

    private void deliverParked() {
        deliveryScheduled.set(false);
        if (closed) {
            return;
        }
        boolean more = false;
        try {
            for (SqlChannel ch : channels) {
                if (ch.parkedCount() > 0 && ch.wantsMessages()) {
                    int n = ch.deliverAvailable(BATCH);
                    delivered += n;
                    more |= n >= BATCH;
                }
            }
        } finally {
            if (more) {
                postDelivery();
            }
        }
    }

    @Override
    public boolean drainEvents(Duration timeout) {
        checkNotClosed();
        if (inbox.onHub()) {
            throw new IllegalStateException("this connection is registered with a Hub: its deliveries run on the hub thread, "
                    + "drainEvents cannot be used");
        }
        long deadline = inbox.deadlineAfter(timeout);
        delivered = 0;
        inbox.enterDrain();
        try {
            while (true) {
                if (inbox.runPending() == 0) {
                    deliverParked(); // an ack may have made room for rows parked earlier
                }
                inbox.throwRecordedFailure();
                if (delivered > 0) {
                    return true;
                }
                if (closed) {
                    throw new ClosedException("SQL transport was closed while draining events");
                }
                if (!inbox.await(deadline)) {
                    return false;
                }
            }
        } finally {
            inbox.exitDrain();
        }
    }

    @Override
    public void registerWithEventLoop(Hub hub) {
        inbox.moveTo(hub);
        fetcher.onHub(hub);
        postDelivery();
    }

    @Override
    public void setListener(TransportListener listener) {
        // The transport recovers its own connections (the fetcher reconnects with back-off; the control
        // connection on its next use), so it never reports a lost connection.
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        KombuException failure = null;
        for (SqlChannel ch : channels) {
            try {
                ch.close();
            } catch (RuntimeException e) {
                log.warn("closing a channel on {} failed: {}", url.describe(), e.toString());
            }
        }
        PublishBatcher b = batcher;
        if (b != null) {
            failure = b.close();
        }
        clientStats.close(); // the last counts, and this client's consumer rows removed, while still open
        synchronized (this) {
            closed = true;
        }
        fetcher.stop();
        synchronized (controlLock) {
            if (control != null) {
                control.close();
                control = null;
            }
        }
        connected = false;
        inbox.wake();
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "SqlTransport(" + url.describe() + ")";
    }
}
