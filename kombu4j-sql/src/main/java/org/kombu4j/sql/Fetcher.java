package org.kombu4j.sql;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;
import org.kombu4j.hub.Hub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport's database worker, on its own thread with its own connection: claims rows for the
 * channels' consumers (in batches up to each channel's free prefetch), deletes acknowledged rows in
 * batches, renews the lease of every row the transport holds, and returns rows whose lease ran out
 * (a consumer that died) to their queues. While idle it waits for a wake-up: a local publish, a
 * PostgreSQL NOTIFY, or else the dialect's cheap probe with back-off from 1 ms to
 * {@code polling_interval} (SQLite, after a quiet spell: {@link #probeCap}). A lost connection is reopened with back-off; consumers never notice but
 * for the pause.
 *
 * <p>Delayed rows (not visible, due at {@code lease_until}) are taken {@link #EARLY_MILLIS} before the earliest known due
 * time, as many as the consumers have room for (on MariaDB {@link #EARLY_MILLIS_MARIADB} before, {@link #EARLY_WINDOWS_MARIADB}
 * times that many, handed over as room frees), and handed to them once it has passed; the rest are taken straight from their waiting state
 * ({@link SqlStore#claimDue}) by the claims after the earliest {@code lease_until} known for the consumed queues
 * ({@link #nextDue}) has passed, as many as the consumers have room for; then (or after {@link #DUE_HOLD_MILLIS}
 * without room) the sweep of expired leases, run besides its regular half-lease round, releases the rest.
 * That due time is looked up after every sweep and when the consumed queues change, and lowered by what announces a new delayed row: a publish in this process, PostgreSQL's NOTIFY of the delayed
 * insert (read while busy too, every {@link #DUE_CHECK_MILLIS}), and without notifications a look-up after
 * a change the idle probe saw, or every {@link #DUE_CHECK_MILLIS} (SQLite only while busy: idle, its probe
 * sees every commit).
 */
final class Fetcher {
    private static final Logger log = LoggerFactory.getLogger(Fetcher.class);
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_RECONNECT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** After this long without rows or a change seen, a SQLite probe's back-off may grow past polling_interval. */
    static final long DEEP_IDLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final int DEEP_IDLE_FACTOR = 4;
    /** How often a delayed row written elsewhere is looked for where no notification says so. */
    static final long DUE_CHECK_MILLIS = 100;
    /** How long acknowledgements may wait for the claim they would go along with before they are deleted alone. */
    private static final long ACK_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** How long due rows wait for room in this transport's consumers before the sweep releases them to any. */
    static final long DUE_HOLD_MILLIS = 1000;

    private final SqlTransport transport;
    private final SqlUrl url;
    private final long leaseMillis;
    private final long maxIdleNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    /** Guarded by {@link #lock}: a wake-up the thread has not seen. */
    private boolean signalled;
    /** Set by anything that may have made rows ready: the next turn claims without probing first. */
    private final AtomicBoolean dirty = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<Long> acks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean ackSignalled = new AtomicBoolean();
    /** Acks queued since they were last taken; an ack wakes the thread once this reaches {@link #ackWakeAt}. */
    private final AtomicInteger pendingAcks = new AtomicInteger();
    /** 1 but while a claim is deferred ({@link #claim}): then the count of acks that makes one worth it. */
    private volatile int ackWakeAt = 1;
    /** Fetcher thread only: how many more acks a deferred claim waits for; MAX_VALUE if none was deferred. */
    private int deferredNeed = Integer.MAX_VALUE;
    /** Fetcher thread only: since when (nanoTime) queued acks wait for a deferred claim; 0 if they do not. */
    private long acksWaitingSince;
    /** Whether claims are split in two halves of the prefetch, the next one overlapping the delivery of the last. */
    private final boolean doubleBuffer;
    /** Rows this transport holds (parked or unacknowledged): their leases are renewed. */
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    /** The earliest known {@code lease_until} (epoch ms) of a not-visible row of the consumed queues; MAX_VALUE: none. */
    private final AtomicLong nextDue = new AtomicLong(Long.MAX_VALUE);
    /** Set when {@link #nextDue} must be looked up again (the consumed queues changed, a probe saw a change). */
    private volatile boolean dueStale = true;
    private long nextDueCheck; // fetcher thread only
    /** Fetcher thread only: a due time passed; claims take due delayed rows first ({@link SqlStore#claimDue}). */
    private boolean dueBacklog;
    private long dueBacklogSince; // fetcher thread only
    /** Fetcher thread only: the due rows we could take are taken; the next turn sweeps (releases the rest for others). */
    private boolean releaseDue;
    private boolean busy; // fetcher thread only: the last turn claimed rows
    /** How long before a due time the rows due then are taken, to be handed over the moment they are due. */
    static final long EARLY_MILLIS = 25;
    /** Rows taken ahead of their due time for a channel: held here, not parked, until {@link #earlyDue} has passed. */
    private record Early(SqlChannel channel, String queue, List<SqlStore.Claimed> rows) {
    }
    /**
     * On MariaDB, how many prefetch windows' worth of due rows are taken ahead: there each claim is a transaction of
     * several round trips and a commit (a log flush), a few ms whatever its size, and during a backlog the consumer
     * waits for every one. Rows taken ahead beyond the consumers' room are handed over from memory as acks free it.
     */
    static final int EARLY_WINDOWS_MARIADB = 8;
    /** On MariaDB, {@link #EARLY_MILLIS}: room for the larger take ahead (one claim of up to 8 windows) to finish in time. */
    static final long EARLY_MILLIS_MARIADB = 50;
    /** While rows taken ahead are handed over: how many acks are deleted at once (the claims that would take them wait). */
    private static final int EARLY_ACK_BATCH = 64;
    private final int earlyWindows;
    private final long earlyMillis;
    private final List<Early> early = new ArrayList<>(); // fetcher thread only
    /** Fetcher thread only: the due time (epoch ms) of the rows in {@link #early}; none is due later. */
    private long earlyDue;
    /** Fetcher thread only: the due time rows were last taken early for (once per due time). */
    private long earlyTakenFor = Long.MIN_VALUE;
    private volatile boolean running;
    private @Nullable Thread thread;
    private @Nullable SqlStore store; // fetcher thread only
    private @Nullable PgWakeups notifications; // fetcher thread only
    private volatile @Nullable Hub hub;
    private long nextRenew;
    private long nextSweep;
    private long backoffNanos = MIN_BACKOFF_NANOS;
    /** Fetcher thread only: when rows last came or the probe last saw a change (System.nanoTime). */
    private long lastActivityNanos = System.nanoTime();
    private long reconnectNanos = TimeUnit.MILLISECONDS.toNanos(50);
    private boolean warnedDown;

    Fetcher(SqlTransport transport, SqlUrl url) {
        this.transport = transport;
        this.url = url;
        this.leaseMillis = url.options().visibilityTimeout().toMillis();
        this.maxIdleNanos = Math.max(MIN_BACKOFF_NANOS, url.options().pollingInterval().toNanos());
        // PostgreSQL only: there a claim is one round trip whose cost is mostly per row, so two half-size claims cost
        // little more than one, and the database's half of the work overlaps the consumer's.
        this.doubleBuffer = url.dialect() == Dialect.POSTGRESQL;
        this.earlyWindows = url.dialect() == Dialect.MARIADB ? EARLY_WINDOWS_MARIADB : 1;
        this.earlyMillis = url.dialect() == Dialect.MARIADB ? EARLY_MILLIS_MARIADB : EARLY_MILLIS;
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        running = true;
        LocalWakeups.add(url, this);
        Thread t = new Thread(this::run, "kombu4j-sql-fetcher");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    void onHub(Hub h) {
        hub = h;
        wake(); // so the LISTEN socket moves from the fetcher's own selector to the hub's now
    }

    /** Something changed for this transport's consumers (a consumer, free prefetch): look again. */
    void signal() {
        dirty.set(true);
        wake();
    }

    /** A channel has no parked rows left: if a claim waits for more acks, it is due now. */
    void parkedDrained() {
        if (ackWakeAt > 1) {
            signal();
        }
    }

    /** A consumer started: the queues to sweep (and their next due time) may have changed. */
    void consumersChanged() {
        dueStale = true;
        signal();
    }

    /** A delayed row due at {@code deliverAt} (epoch ms) was written to a queue that may be consumed here. */
    void dueAt(long deliverAt) {
        if (nextDue.getAndAccumulate(deliverAt, Math::min) > deliverAt) {
            wake(); // earlier than the wait in progress planned for
        }
    }

    /** Rows may have become ready (a publish in this process, a notification). */
    void newRows() {
        dirty.set(true);
        wake();
    }

    private void wake() {
        lock.lock();
        try {
            signalled = true;
            woken.signal();
        } finally {
            lock.unlock();
        }
        PgWakeups n = notifications;
        if (n != null) {
            n.wakeSelector();
        }
    }

    void ack(long id) {
        acks.add(id);
        // An ack frees prefetch: claim again after writing the deletes. VirtualChannel signals only an ack
        // that ends a full window, and handlers that ack as they go never fill it.
        dirty.set(true);
        if (pendingAcks.incrementAndGet() >= ackWakeAt && ackSignalled.compareAndSet(false, true)) {
            wake();
        }
    }

    void hold(long id) {
        held.add(id);
    }

    void forget(Collection<Long> ids) {
        held.removeAll(ids);
    }

    /** Stops the thread after it wrote the acks queued so far. */
    void stop() {
        Thread t;
        synchronized (this) {
            t = thread;
            running = false;
        }
        LocalWakeups.remove(url, this);
        if (t == null) {
            return;
        }
        wake();
        try {
            t.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            log.warn("the SQL fetcher for {} did not stop within 10 s", url.describe());
        }
    }

    private void run() {
        try {
            while (running) {
                try {
                    turn();
                    reconnectNanos = TimeUnit.MILLISECONDS.toNanos(50);
                    if (warnedDown) {
                        log.info("consuming from {} again", url.describe());
                        warnedDown = false;
                    }
                } catch (SQLException | KombuException e) {
                    down(e);
                } catch (RuntimeException e) {
                    // A bug, not the database: keep consuming rather than stop silently, but say so loudly.
                    log.error("the SQL fetcher for {} failed a turn; going on", url.describe(), e);
                    down(e);
                }
            }
            try {
                releaseEarly();
                flushAcks();
            } catch (SQLException | KombuException e) {
                log.warn("{} acknowledgements were not written to {} ({}); those messages will be delivered again "
                        + "when their lease ends", acks.size(), url.describe(), e.getMessage());
            }
        } catch (RuntimeException | Error e) {
            log.error("the SQL fetcher for {} failed; consumers of this connection stop receiving", url.describe(), e);
        } finally {
            closeStore();
        }
    }

    private void down(Exception e) {
        dropEarly(); // taken on the lost connection: back when their lease ends
        closeStore();
        if (!warnedDown) {
            log.warn("lost {} ({}); reconnecting with back-off", url.describe(), e.getMessage());
            warnedDown = true;
        }
        sleep(reconnectNanos);
        reconnectNanos = Math.min(MAX_RECONNECT_NANOS, reconnectNanos * 2);
        dirty.set(true);
    }

    private void closeStore() {
        if (notifications != null) {
            notifications.close();
            notifications = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
    }

    private SqlStore store() {
        SqlStore s = store;
        if (s == null) {
            s = transport.openStore();
            try {
                s.relaxDurability();
                s.reuseClaimPlans();
            } catch (SQLException e) {
                s.close();
                throw SqlErrors.onStatement(url, "set up the consumer connection", e);
            }
            store = s;
            if (url.dialect() == Dialect.POSTGRESQL) {
                notifications = PgWakeups.open(url, this);
            }
            dirty.set(true); // rows may have arrived while we were away
        }
        return s;
    }

    /** One turn: settle, maintain leases, claim; wait if there was nothing to do. */
    private void turn() throws SQLException {
        SqlStore s = store();
        if (notifications != null && notifications.lost()) {
            throw new SQLException("the LISTEN connection to " + url.describe() + " was lost", "08006");
        }
        if (!dirty.get()) {
            flushAcks(); // else the claim below deletes them in its own statement (PostgreSQL) or transaction
        }
        long now = System.currentTimeMillis();
        maintain(s, now);
        if (!early.isEmpty()) {
            if (System.currentTimeMillis() <= earlyDue) {
                flushAcks(); // no claim until the rows taken early are handed over
                busy = false;
                idle(s);
                return;
            }
            handOverEarly(s);
            if (!early.isEmpty()) {
                // Rows taken ahead wait for room: no claim until they are handed over (it would find none). The next
                // ack wakes this thread to hand over more.
                if (now - earlyDue > DUE_HOLD_MILLIS) {
                    releaseEarly(); // our consumers have had no room for a while: the rest to whoever has
                } else {
                    if (acks.size() >= EARLY_ACK_BATCH) {
                        // Deleted while the consumers work through what was just handed over: kept for the claim after
                        // the rows taken ahead, hundreds of deletes made that claim take tens of ms on MariaDB.
                        flushAcks();
                    }
                    busy = true;
                    ackWakeAt = pendingAcks.get() + 1;
                    ackSignalled.set(false);
                    if (pendingAcks.get() >= ackWakeAt && ackSignalled.compareAndSet(false, true)) {
                        wake();
                    }
                    idle(s);
                    return;
                }
            }
        } else if (earlyTakenFor != nextDue.get() && !dueBacklog && nextDue.get() != Long.MAX_VALUE
                && nextDue.get() - now <= earlyMillis) {
            dirty.set(true); // claim() takes the rows due then
        }
        if (dirty.getAndSet(false)) {
            int got = claim(s);
            if (got > 0) {
                // The next turn claims again at once: acks that came meanwhile go along with that claim (on SQLite
                // a write transaction of their own would queue for the file's one write lock besides).
            } else if (got == 0 && deferredNeed != Integer.MAX_VALUE && !acks.isEmpty() && !acksOverdue()) {
                // A claim waits for more acks: these go along with it, unless they wait too long (the idle wait is
                // bounded by the linger then). The ack that makes the claim worth it wakes this thread.
                int at = pendingAcks.get() + deferredNeed;
                ackWakeAt = at;
                ackSignalled.set(false);
                if (pendingAcks.get() >= at && ackSignalled.compareAndSet(false, true)) {
                    wake();
                }
            } else {
                flushAcks(); // those no claim took along
            }
            if (got > 0) {
                dirty.set(true); // there may be more
                backoffNanos = MIN_BACKOFF_NANOS;
                lastActivityNanos = System.nanoTime();
                busy = true;
                return;
            }
            if (releaseDue) {
                return; // the sweep first, without waiting
            }
        }
        busy = false;
        idle(s);
    }

    /** The acks queued so far, taken off the queue. */
    private List<Long> takeAcks() {
        ackWakeAt = 1;
        acksWaitingSince = 0;
        pendingAcks.set(0);
        ackSignalled.set(false);
        if (acks.isEmpty()) {
            return List.of();
        }
        List<Long> ids = new ArrayList<>();
        for (Long id; (id = acks.poll()) != null; ) {
            ids.add(id);
        }
        return ids;
    }

    private void flushAcks() throws SQLException {
        List<Long> ids = takeAcks();
        if (ids.isEmpty()) {
            return;
        }
        SqlStore s = store();
        try {
            s.delete(ids);
        } catch (SQLException e) {
            acks.addAll(ids); // written on the next turn (or after the reconnect)
            throw e;
        }
        held.removeAll(ids);
    }

    private void maintain(SqlStore s, long now) throws SQLException {
        if (now >= nextRenew) {
            if (!held.isEmpty()) {
                s.renew(new ArrayList<>(held), now + leaseMillis);
            }
            nextRenew = now + Math.max(200, leaseMillis / 3);
        }
        if (now >= nextDueCheck) {
            nextDueCheck = now + DUE_CHECK_MILLIS;
            if (notifications != null) {
                if (busy && hub == null) {
                    notifications.readNow(); // idle, the wait reads them; on a hub, the hub does
                }
            } else if (busy || url.dialect() != Dialect.SQLITE) {
                dueStale = true; // SQLite idle: its probe says when something changed
            }
        }
        boolean regular = now >= nextSweep;
        if (!regular && !releaseDue && now > nextDue.get()) {
            // Due delayed rows go to this transport's consumers straight from their waiting state (claimDue), as
            // many as they have room for; the sweep after that releases what is left, and expired leases.
            nextDue.set(Long.MAX_VALUE); // a due time announced from here on is kept
            if (!dueBacklog) {
                dueBacklog = true;
                dueBacklogSince = now;
            }
            dirty.set(true);
            return;
        }
        if (dueBacklog && now - dueBacklogSince > DUE_HOLD_MILLIS) {
            releaseDue = true; // our consumers have had no room for a while: the rest to whoever has
        }
        // lease_until < now is what the sweep releases: a row due at t is released from t + 1 ms on, never earlier.
        if (regular || releaseDue) {
            releaseDue = false;
            dueBacklog = false;
            Set<Long> ids = consumedQueueIds();
            nextDue.set(Long.MAX_VALUE); // before the sweep: a due time announced from here on is kept
            int swept = ids.isEmpty() ? 0 : s.sweep(ids, now);
            if (swept > 0) {
                dirty.set(true);
            }
            if (regular) {
                if (notifications != null) {
                    notifications.keepAlive();
                }
                nextSweep = now + Math.max(200, leaseMillis / 2);
            }
            dueStale = false;
            nextDue.getAndAccumulate(s.nextDue(ids), Math::min);
        } else if (dueStale) {
            dueStale = false;
            nextDue.getAndAccumulate(s.nextDue(consumedQueueIds()), Math::min);
        }
    }

    private Set<Long> consumedQueueIds() {
        Set<Long> ids = new HashSet<>();
        for (SqlChannel ch : transport.channels()) {
            for (String q : ch.consumedQueues()) {
                Long id = transport.queueId(q);
                if (id != null) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    /** Claims rows for every channel with free prefetch; returns how many. */
    private int claim(SqlStore s) throws SQLException {
        int total = 0;
        deferredNeed = Integer.MAX_VALUE;
        long now = System.currentTimeMillis();
        long leaseUntil = now + leaseMillis;
        long due = nextDue.get();
        // Within EARLY_MILLIS of a due time, the rows due by then are taken now, as many as the consumers have room for,
        // and held until it has passed (handOverEarly): the first of them reach consumers the moment they are due
        // instead of a claim's round trip (or two) later, and the claims for the rest start one window ahead.
        boolean takeEarly = !dueBacklog && due != Long.MAX_VALUE && due >= now && due - now <= earlyMillis && earlyTakenFor != due;
        if (takeEarly) {
            earlyTakenFor = due;
            earlyDue = due;
        }
        boolean dueLeft = false;
        boolean askedDue = false;
        for (SqlChannel ch : transport.channels()) {
            int cap = ch.capacity();
            if (cap <= 0) {
                continue;
            }
            int parked = ch.parkedCount();
            cap = room(cap, parked);
            List<String> queues = ch.consumedQueues();
            if (cap <= 0 || queues.isEmpty()) {
                continue;
            }
            if (doubleBuffer) {
                // Claims of half the prefetch: the next half is claimed while the consumer works through the last,
                // rather than the consumer waiting for a whole window's claim and the database for the consumer.
                // While rows are still parked, a claim waits until half the window is free (not one small claim an ack).
                int p = ch.prefetchWindow();
                int window = ch.capacity() == Integer.MAX_VALUE || p <= 0 ? SqlTransport.BATCH : Math.min(p, SqlTransport.BATCH);
                int half = (window + 1) / 2;
                if (parked > 0 && cap < half) {
                    deferredNeed = Math.min(deferredNeed, half - cap);
                    continue;
                }
                if (!takeEarly) {
                    cap = Math.min(cap, half); // taken early, the whole window is handed over at once
                }
            }
            int share = Math.max(1, cap / queues.size());
            for (String q : queues) {
                if (cap <= 0) {
                    break;
                }
                Long qid = transport.queueId(q);
                if (qid == null) {
                    continue;
                }
                int want = Math.min(share, cap);
                if (takeEarly) {
                    want *= earlyWindows; // handed over window by window (handOverEarly)
                }
                List<Long> took = takeAcks();
                List<Long> acked = took;
                List<SqlStore.Claimed> rows = List.of();
                try {
                    if (takeEarly) {
                        // lease_until < due + 1: due by then at the latest, as the sweep would release them from due + 1 on.
                        rows = s.claimDue(qid, want, due + 1, leaseUntil, acked);
                        acked = List.of();
                    } else if (dueBacklog) {
                        rows = s.claimDue(qid, want, now, leaseUntil, acked);
                        acked = List.of(); // deleted with it
                        dueLeft |= rows.size() >= want;
                        askedDue = true;
                    }
                    if (rows.size() < want && !takeEarly) {
                        List<SqlStore.Claimed> ready = s.claim(qid, want - rows.size(), leaseUntil, acked);
                        acked = List.of();
                        if (rows.isEmpty()) {
                            rows = ready;
                        } else if (!ready.isEmpty()) {
                            rows = new ArrayList<>(rows);
                            rows.addAll(ready);
                        }
                    }
                } catch (SQLException e) {
                    acks.addAll(acked); // not written yet (rows claimed before the failure return when their lease ends)
                    throw e;
                }
                held.removeAll(took);
                if (rows.isEmpty()) {
                    continue;
                }
                // Before the rows are held: should this fail, their lease runs out and they come back.
                preloadDeadLetterPolicy(s, q, rows);
                List<Long> ids = new ArrayList<>(rows.size());
                for (SqlStore.Claimed c : rows) {
                    ids.add(c.id());
                }
                held.addAll(ids);
                if (takeEarly) {
                    early.add(new Early(ch, q, rows));
                    cap -= rows.size();
                    continue;
                }
                if (!ch.accept(q, rows)) {
                    held.removeAll(ids);
                    s.release(ids, true); // its consumer left meanwhile: ready again for others at once, no delivery
                    dirty.set(true);
                    continue;
                }
                cap -= rows.size();
                total += rows.size();
            }
        }
        if (dueBacklog && askedDue && !dueLeft) {
            releaseDue = true; // what was due went to our consumers with room; the sweep releases any left
        }
        if (total > 0) {
            transport.postDelivery();
        }
        return total;
    }

    /**
     * A channel's room for rows now, given its free prefetch {@code capacity} and the rows {@code parked} for it: at
     * most a batch (an event-thread turn's deliveries), less what waits there already; 0 or less is none.
     */
    private static int room(int capacity, int parked) {
        return Math.min(capacity, SqlTransport.BATCH) - parked;
    }

    /**
     * Hands the rows taken early to their channels, now that they are due, as many as each has room for (the rest stay
     * in {@link #early}, in order, for the next turn); those of a consumer gone are released.
     */
    private void handOverEarly(SqlStore s) throws SQLException {
        int total = 0;
        List<Long> back = new ArrayList<>();
        List<Early> left = new ArrayList<>();
        Map<SqlChannel, Integer> room = new HashMap<>();
        for (Early e : early) {
            SqlChannel ch = e.channel();
            int free = room.computeIfAbsent(ch, c -> {
                int cap = c.capacity();
                // Not room(...)'s batch for an unlimited prefetch: that bounds one claim, and the next turn claims
                // again at once; what is held here is claimed already and only an ack brings a next hand-over, which
                // a no-ack consumer never sends, so a batch now would leave the rest to the hold's release.
                return cap == Integer.MAX_VALUE ? Integer.MAX_VALUE : room(cap, c.parkedCount());
            });
            int n = Math.max(0, Math.min(free, e.rows().size()));
            List<SqlStore.Claimed> now = e.rows().subList(0, n);
            if (n > 0 && !ch.accept(e.queue(), new ArrayList<>(now))) {
                for (SqlStore.Claimed c : e.rows()) {
                    back.add(c.id());
                }
                continue;
            }
            total += n;
            if (free != Integer.MAX_VALUE) {
                room.put(ch, free - n);
            }
            if (n < e.rows().size()) {
                left.add(new Early(ch, e.queue(), new ArrayList<>(e.rows().subList(n, e.rows().size()))));
            }
        }
        early.clear();
        early.addAll(left);
        if (total > 0) {
            transport.postDelivery();
            busy = true;
            lastActivityNanos = System.nanoTime();
        }
        if (!back.isEmpty()) {
            held.removeAll(back);
            s.release(back, true); // its consumer left meanwhile: ready again for others at once, no delivery
        }
        dirty.set(true); // the rest of what is due, if the consumers have room
    }

    /** Returns rows taken early and not handed over (the transport stops): ready for others at once, no delivery. */
    private void releaseEarly() throws SQLException {
        if (early.isEmpty()) {
            return;
        }
        store().release(dropEarly(), true);
    }

    /** Forgets the rows taken early: no longer in {@link #early} nor held here; returns their ids. */
    private List<Long> dropEarly() {
        List<Long> ids = new ArrayList<>();
        for (Early e : early) {
            for (SqlStore.Claimed c : e.rows()) {
                ids.add(c.id());
            }
        }
        early.clear();
        held.removeAll(ids);
        return ids;
    }

    /** Whether acks kept for a deferred claim have waited long enough; starts their clock on the first look. */
    private boolean acksOverdue() {
        long now = System.nanoTime();
        if (acksWaitingSince == 0) {
            acksWaitingSince = now;
            return false;
        }
        return now - acksWaitingSince >= ACK_LINGER_NANOS;
    }

    /**
     * Reads the dead-letter arguments of a queue a redelivery came from, on this thread's connection, so that
     * the delivery, which checks the delivery limit, finds them known and never waits on the control connection.
     */
    private void preloadDeadLetterPolicy(SqlStore s, String queue, List<SqlStore.Claimed> rows) throws SQLException {
        for (SqlStore.Claimed c : rows) {
            if (c.deliveryCount() > 1) {
                if (!transport.knowsDeadLetterPolicy(queue)) {
                    transport.rememberDeadLetterPolicy(queue, s.catalog().deadLetterPolicy(queue));
                }
                return;
            }
        }
    }

    /** Waits for a wake-up, the next lease chore, or (probing dialects) the next probe. */
    private void idle(SqlStore s) throws SQLException {
        long now = System.currentTimeMillis();
        long due = nextDue.get();
        long wakeAt = Math.min(Math.min(nextRenew, nextSweep), due == Long.MAX_VALUE ? Long.MAX_VALUE : due + 1);
        if (!early.isEmpty()) {
            // Before the due time: to hand over; after it (rows waiting for room): an ack wakes us, else the hold ends.
            wakeAt = Math.min(wakeAt, now <= earlyDue ? earlyDue + 1 : earlyDue + DUE_HOLD_MILLIS + 1);
        } else if (due != Long.MAX_VALUE && earlyTakenFor != due && !dueBacklog) {
            wakeAt = Math.min(wakeAt, due - earlyMillis); // to take the rows due then ahead of it
        }
        if (dueBacklog) {
            wakeAt = Math.min(wakeAt, dueBacklogSince + DUE_HOLD_MILLIS + 1); // to release what our consumers had no room for
        }
        long chores = TimeUnit.MILLISECONDS.toNanos(Math.max(1, wakeAt - now));
        PgWakeups n = notifications;
        Set<Long> queueIds = consumedQueueIds();
        boolean consuming = !queueIds.isEmpty();
        if (n != null) {
            n.want(queueIds);
        }
        long wait = n != null || !consuming ? chores : Math.min(chores, backoffNanos);
        if (acksWaitingSince != 0) {
            wait = Math.min(wait, Math.max(MIN_BACKOFF_NANOS, ACK_LINGER_NANOS - (System.nanoTime() - acksWaitingSince)));
        }
        if (n != null && hub == null) {
            n.awaitOnThisThread(wait); // the notification socket, in a selector of this thread's own
        } else {
            awaitSignal(wait);
        }
        if (n == null && consuming && !dirty.get()) {
            if (s.probe(queueIds)) {
                dirty.set(true);
                dueStale = true; // the change may be a delayed row
                backoffNanos = MIN_BACKOFF_NANOS;
                lastActivityNanos = System.nanoTime();
            } else {
                backoffNanos = Math.min(probeCap(), backoffNanos * 2);
            }
        }
    }

    /**
     * The longest wait between two probes: {@code polling_interval}; on SQLite, once nothing has happened for
     * {@link #DEEP_IDLE_AFTER_NANOS}, {@link #DEEP_IDLE_FACTOR} times that. An idle consumer then wakes 10 times a
     * second instead of 40 (its CPU is most of an idle process's), and the first message after a quiet spell waits
     * for at most one longer probe; in a busy spell the probe runs at the short back-off. Publishes in this process
     * wake the fetcher at once either way.
     */
    private long probeCap() {
        if (url.dialect() == Dialect.SQLITE && System.nanoTime() - lastActivityNanos > DEEP_IDLE_AFTER_NANOS) {
            return maxIdleNanos * DEEP_IDLE_FACTOR;
        }
        return maxIdleNanos;
    }

    private void awaitSignal(long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (!signalled && left > 0 && running) {
                left = woken.awaitNanos(left);
            }
            signalled = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a wake-up came (and clears it); for {@link PgWakeups}' own wait. */
    boolean takeSignal() {
        lock.lock();
        try {
            boolean s = signalled;
            signalled = false;
            return s;
        } finally {
            lock.unlock();
        }
    }

    boolean running() {
        return running;
    }

    Hub hub() {
        return hub;
    }

    private void sleep(long nanos) {
        awaitSignal(nanos);
    }
}
