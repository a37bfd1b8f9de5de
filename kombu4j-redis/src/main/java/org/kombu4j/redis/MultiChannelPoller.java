package org.kombu4j.redis;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ClosedException;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.hub.TimerEntry;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespPush;
import org.kombu4j.transport.EventInbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event side of one {@link RedisTransport}: it knows what every channel waits for (the queue
 * lists it consumes, tracked by {@code CLIENT TRACKING} prefixes, and the fanout exchanges it
 * consumes, by pattern subscriptions), keeps the event connection subscribed to exactly that, and
 * hands each push or pop reply to the channel that owns it. The event connection is read either by
 * the caller of {@link #drain} (through a private {@link Selector}) or by the thread of the
 * {@link Hub} given to {@link #register}; everything else reaches that thread through {@link #post}
 * (an {@link EventInbox}).
 *
 * <p>Subscription changes are applied in batches ({@link #subscriptionsChanged}) before the event
 * thread next waits; health-check PINGs and the periodic restore of timed-out unacknowledged messages
 * run from {@link #periodic} on the same thread.
 */
final class MultiChannelPoller {
    private static final Logger log = LoggerFactory.getLogger(MultiChannelPoller.class);
    private static final String PING = "PING";
    /** The longest a drain sleeps in one select, so that periodic work runs while idle. */
    private static final long MAX_SELECT_MILLIS = 1000;
    /** How often the hub runs {@link #periodic}. */
    private static final Duration HUB_PERIOD = Duration.ofSeconds(1);

    private final RedisTransport transport;
    private final Ticker ticker;
    private final ReentrantLock drainLock = new ReentrantLock();
    private final EventInbox inbox;
    private final AtomicBoolean subscriptionSyncPosted = new AtomicBoolean();
    private volatile @Nullable Selector selector;
    private volatile @Nullable TimerEntry periodicTimer;
    private @Nullable TimerEntry wakeTimer;
    /** The task and deadline of {@link #wakeTimer}, to schedule it again on another hub. */
    private @Nullable Runnable hubWakeTask;
    private long hubWakeDeadline;

    // Event-thread state.
    private final EventSubscriptions subscriptions;
    private int delivered;
    private boolean inlineSync;
    private long lastIo;
    /** The one-shot wake-up of {@link #wakeAt} while draining without a hub; MAX_VALUE = none. */
    private long wakeDeadline = Long.MAX_VALUE;
    private @Nullable Runnable wakeTask;

    MultiChannelPoller(RedisTransport transport, Ticker ticker) {
        this.transport = transport;
        this.ticker = ticker;
        this.subscriptions = new EventSubscriptions(transport.keys());
        this.lastIo = ticker.nanoTime();
        this.inbox = new EventInbox(ticker, () -> {
            Selector s = selector;
            if (s != null) {
                s.wakeup();
            }
        });
    }

    // ---------------------------------------------------------------- threads

    /** Runs {@code r} on the event thread: the Hub's, or the next {@link #drain} call's. */
    void post(Runnable r) {
        inbox.post(r);
    }

    /** Whether the caller is the thread that reads the event connection now. */
    boolean inEventThread() {
        return inbox.inEventThread();
    }

    /** Whether a Hub reads the event connection (then {@link #drain} cannot be used). */
    boolean onHub() {
        return inbox.onHub();
    }

    /** A delivery was handed to a consumer: ends the current {@link #drain}. */
    void noteDelivered() {
        delivered++;
    }

    /**
     * A delivery handler threw (event thread). The batch being dispatched goes on; the first failure is
     * thrown, unchanged, out of the current {@link #drain} once it is done (on a Hub, out of the reader
     * callback, where the Hub logs it). Later ones until then are logged, so none goes unseen.
     */
    void handlerFailed(Throwable failure) {
        inbox.recordFailure(failure);
    }

    // ---------------------------------------------------------------- subscriptions

    /** When a subscription change must be in Redis. */
    enum Sync {
        /**
         * Before {@link #subscriptionsChanged} returns when nobody is draining: a fanout consumer must be
         * subscribed when consume() returns (pub/sub keeps nothing for latecomers).
         */
        BEFORE_RETURN,
        /**
         * Marked due only, and run once before the event thread next waits — so a batch of 10,000 consume()
         * calls costs one sync, not 10,000 — popping the new queues after tracking them, so a message
         * pushed at any time after consume() returns is found.
         */
        BEFORE_NEXT_WAIT
    }

    /** Consumers or bindings changed: re-sync tracking prefixes and fanout subscriptions on the event thread. */
    void subscriptionsChanged(Sync when) {
        if (transport.isClosed()) {
            return;
        }
        ClusterNodeLink link = transport.link();
        if (link != null && link.owner().isClosing()) {
            return; // the whole cluster transport is closing: its connections go next, no need to re-track
        }
        if (link != null) {
            if (when == Sync.BEFORE_RETURN && !inEventThread() && link.owner().tryInlineRead()) {
                // A shared event connection: nobody reads it now (the whole transport's drain is idle), so
                // apply it here; every member's pushes read meanwhile wait for the event thread.
                link.inlineRead(true);
                try {
                    inlineSync();
                } finally {
                    link.inlineRead(false);
                    link.owner().endInlineRead();
                }
                return;
            }
        } else if (when == Sync.BEFORE_RETURN && !inbox.onHub() && !inEventThread() && drainLock.tryLock()) {
            try {
                inlineSync();
            } finally {
                drainLock.unlock();
            }
            return;
        }
        if (subscriptionSyncPosted.compareAndSet(false, true)) {
            post(this::syncSubscriptions);
        }
    }

    /** Applies the subscriptions on the caller's thread and waits until Redis has them (the caller owns the event connection). */
    private void inlineSync() {
        // Nobody is draining: apply it now and wait until Redis has it, so that a fanout
        // consumer is subscribed before consume() returns (pub/sub keeps nothing for latecomers).
        inbox.enterDrain();
        inlineSync = true;
        try {
            syncSubscriptions();
            AtomicBoolean done = new AtomicBoolean();
            transport.events().send(List.of(PING), r -> done.set(true));
            pump(ticker.nanoTime() + transport.options().socketTimeout().toNanos(), done::get);
        } catch (OperationalException e) {
            transport.closeConnections();
            throw e;
        } finally {
            inlineSync = false;
            inbox.exitDrain();
        }
    }

    private void syncSubscriptions() {
        subscriptionSyncPosted.set(false);
        RedisConnection ev = transport.eventConnection();
        if (transport.isClosed() || ev == null || !ev.isOpen()) {
            return;
        }
        List<RedisChannel> synced = new ArrayList<>(transport.channels());
        List<List<String>> added = new ArrayList<>(synced.size());
        for (RedisChannel ch : synced) {
            ch.endConsumeBatch();
            // Taken before the tracking command is written: a queue added after this is popped by the next sync.
            added.add(ch.takeAddedQueues());
        }
        boolean rebuilt = subscriptions.sync(ev, synced, transport.link(), transport);
        // Delayed messages already due (or due later) when consuming starts: move them, learn the next due time.
        List<String> moveFor = new ArrayList<>();
        for (int i = 0; i < added.size(); i++) {
            moveFor.addAll(rebuilt ? synced.get(i).consumedListQueues() : added.get(i));
        }
        if (inlineSync) {
            inbox.post(() -> transport.delayedMover().request(moveFor));
        } else {
            transport.delayedMover().request(moveFor);
        }
        // A push before tracking covered a queue raised no wake-up: pop the newly tracked queues (all of
        // them after a rebuild) now, after the tracking command on the same connection (from a drain or
        // the hub, so that deliveries run on the thread that owns them).
        for (int i = 0; i < added.size(); i++) {
            RedisChannel ch = synced.get(i);
            List<String> a = added.get(i);
            if (inlineSync) {
                inbox.post(() -> ch.popper().afterSync(rebuilt, a));
            } else {
                ch.popper().afterSync(rebuilt, a);
            }
        }
        flushEvents();
    }

    // ---------------------------------------------------------------- pushes

    /** A push on the event connection: a wake-up for the channels consuming the keys it names, or a fanout message. */
    void onPush(RespPush push) {
        ClusterNodeLink link = transport.link();
        if (inlineSync || (link != null && link.inlineRead())) {
            // Deliveries belong to the thread calling drainEvents, not to the one calling consume().
            inbox.post(() -> onPush(push));
            return;
        }
        List<Object> items = push.items();
        switch (push.kind()) {
            case RespPush.INVALIDATE: {
                List<Object> ks = push.invalidatedKeys();
                if (ks == null) {
                    for (RedisChannel ch : transport.channels()) {
                        ch.popper().requestSweep(); // null: a flush; everything may have changed
                    }
                    return;
                }
                Set<String> touched = new HashSet<>();
                List<String> delayed = new ArrayList<>();
                for (Object k : ks) {
                    String key = Resp.text(k);
                    touched.add(key);
                    String dq = transport.delayedMover().queueOfKey(key);
                    if (dq != null) {
                        delayed.add(dq);
                    }
                }
                if (!delayed.isEmpty()) {
                    transport.delayedMover().request(consumedAmong(delayed));
                }
                for (RedisChannel ch : transport.channels()) {
                    if (ch.popper().noteTouched(touched)) {
                        ch.popper().requestPop();
                    }
                }
                return;
            }
            case RespPush.PMESSAGE: {
                // pmessage <pattern> <channel> <payload>
                if (items.size() < 4) {
                    return;
                }
                String exchange = subscriptions.exchangeOf(Resp.text(items.get(1)));
                if (exchange == null) {
                    return;
                }
                byte[] payload = (byte[]) items.get(3);
                for (RedisChannel ch : transport.channels()) {
                    ch.deliverFanout(exchange, payload);
                }
                return;
            }
            default:
                // psubscribe/punsubscribe confirmations and others need no action.
        }
    }

    /** Those of {@code queues} some channel consumes from lists. */
    private List<String> consumedAmong(List<String> queues) {
        List<String> out = new ArrayList<>();
        for (RedisChannel ch : transport.channels()) {
            out.addAll(ch.popper().consumedAmong(queues));
        }
        return out;
    }

    // ---------------------------------------------------------------- drain

    /**
     * Dispatches events on the caller's thread until at least one delivery was made or {@code timeout}
     * passed.
     *
     * @return whether a delivery was made
     */
    boolean drain(Duration timeout) {
        drainLock.lock();
        boolean got;
        try {
            inbox.enterDrain();
            delivered = 0;
            got = pump(inbox.deadlineAfter(timeout), () -> delivered > 0 || inbox.hasRecordedFailure());
        } catch (RuntimeException e) {
            // Closed from another thread while we waited: the selector, key or socket went away under us.
            if (transport.isClosed()) {
                throw new ClosedException("Redis transport to " + transport.url().masked() + " was closed", e);
            }
            if (e instanceof OperationalException) {
                transport.closeConnections();
            }
            throw e;
        } finally {
            inbox.exitDrain();
            drainLock.unlock();
        }
        inbox.throwRecordedFailure();
        return got;
    }

    /** Runs posted tasks and dispatches the event connection until {@code done} or the deadline. */
    private boolean pump(long deadline, BooleanSupplier done) {
        RedisConnection ev = transport.events();
        ClusterNodeLink link = transport.link();
        Selector sel = link != null ? link.inlineSelector() : selector; // shared: one per master, not per queue
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
            if (!inlineSync) {
                inbox.runPending();
                periodic();
                runDueWake();
            }
            if (done.getAsBoolean()) {
                return true;
            }
            boolean pendingWrite = !ev.flush();
            key.interestOps(SelectionKey.OP_READ | (pendingWrite ? SelectionKey.OP_WRITE : 0));
            long left = deadline - ticker.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                long wait = Math.min(left, inlineSync ? Long.MAX_VALUE : wakeDeadline - ticker.nanoTime());
                // Rounded up to whole milliseconds: a wake-up is never run early.
                sel.select(Math.max(1, Math.min((wait + 999_999) / 1_000_000, MAX_SELECT_MILLIS)));
            } catch (IOException e) {
                throw new OperationalException("select failed: " + e.getMessage(), e);
            }
            boolean readable = sel.selectedKeys().remove(key) && key.isValid() && key.isReadable();
            sel.selectedKeys().clear();
            if (readable) {
                lastIo = ticker.nanoTime();
                ev.onReadable();
            }
        }
    }

    /**
     * Runs {@code task} on the event thread at {@code deadlineNanos} (ticker time, never earlier),
     * replacing the previous one: one timer, for the {@link DelayedMover}. Event thread only.
     */
    void wakeAt(long deadlineNanos, Runnable task) {
        Hub h = inbox.hub();
        if (h != null) {
            TimerEntry t = wakeTimer;
            if (t != null) {
                t.cancel();
            }
            hubWakeTask = task;
            hubWakeDeadline = deadlineNanos;
            wakeTimer = h.callAt(deadlineNanos, () -> {
                hubWakeTask = null;
                if (!transport.isClosed() && transport.isConnected()) {
                    task.run();
                    flushEvents();
                }
            });
            return;
        }
        wakeDeadline = deadlineNanos;
        wakeTask = task;
    }

    private void runDueWake() {
        Runnable t = wakeTask;
        if (t != null && ticker.nanoTime() >= wakeDeadline) {
            wakeTask = null;
            wakeDeadline = Long.MAX_VALUE;
            t.run();
        }
    }

    /** Health checks and the visibility-timeout restore, from the event thread. */
    private void periodic() {
        long now = ticker.nanoTime();
        RedisOptions options = transport.options();
        ClusterNodeLink link = transport.link();
        if (now - lastIo > options.healthCheckInterval().toNanos()) {
            lastIo = now;
            // A shared connection is checked by its first namespace only: its reply counts as I/O for all.
            if (link == null || link.members().isEmpty() || link.members().get(0) == transport) {
                transport.events().send(List.of(PING), r -> { });
            }
        }
        transport.restorer().restoreDue();
    }

    /** Writes what the event connection holds; what the socket does not take now is written when it is writable. */
    void flushEvents() {
        RedisConnection ev = transport.eventConnection();
        if (ev != null && ev.isOpen() && !ev.flush()) {
            ClusterNodeLink link = transport.link();
            if (link != null) {
                link.watchWritable();
                return;
            }
            Hub h = inbox.hub();
            if (h != null) {
                h.addWriter(ev.socket(), this::onHubWritable);
            }
            // Without a hub, the drain loop selects for OP_WRITE while bytes are pending.
        }
    }

    // ---------------------------------------------------------------- hub

    /**
     * Hands the event connection to {@code hub}: its socket is registered with {@link Hub#addReader}
     * (and {@link Hub#addWriter} while a write is pending), posted work goes through
     * {@link Hub#callSoon}, and health checks and visibility restores run on a hub timer.
     */
    void register(Hub hub) {
        Objects.requireNonNull(hub, "hub");
        boolean moved;
        drainLock.lock();
        try {
            if (inbox.hub() == hub) {
                return;
            }
            moved = inbox.hub() != null;
            // Queued tasks go first; posts from now on go to the hub too.
            inbox.moveTo(hub);
        } finally {
            drainLock.unlock();
        }
        RedisConnection ev = transport.events();
        ClusterNodeLink link = transport.link();
        if (link != null && !moved) {
            link.register(hub);
        } else if (link != null) {
            // Moved from another hub (a cluster transport's private one): its timers and queued work stay
            // there, never run again, so re-create them here and have every channel look at its queues.
            TimerEntry old = periodicTimer;
            if (old != null) {
                old.cancel();
            }
            TimerEntry oldWake = wakeTimer;
            Runnable movedWake = hubWakeTask;
            if (oldWake != null) {
                oldWake.cancel();
                wakeTimer = null;
            }
            link.register(hub);
            if (movedWake != null) {
                long at = hubWakeDeadline;
                post(() -> wakeAt(at, movedWake));
            }
            subscriptionSyncPosted.set(false);
            post(() -> {
                for (RedisChannel ch : transport.channels()) {
                    ch.popper().requestSweep();
                }
            });
        } else {
            hub.addReader(ev.socket(), this::onHubReadable);
        }
        Runnable pendingWake = wakeTask;
        if (pendingWake != null) {
            wakeTask = null;
            wakeAt(wakeDeadline, pendingWake);
            wakeDeadline = Long.MAX_VALUE;
        }
        periodicTimer = hub.callRepeatedly(HUB_PERIOD, () -> {
            if (!transport.isClosed() && transport.isConnected()) {
                periodic();
                flushEvents();
            }
        });
        subscriptionsChanged(Sync.BEFORE_RETURN);
    }

    private void onHubReadable() {
        RedisConnection ev = transport.eventConnection();
        if (transport.isClosed() || ev == null || !ev.isOpen()) {
            return;
        }
        try {
            lastIo = ticker.nanoTime();
            ev.onReadable();
            flushEvents();
        } catch (OperationalException e) {
            lost(e);
        }
        inbox.throwRecordedFailure();
    }

    private void onHubWritable() {
        try {
            EventIo.writeOrUnwatch(inbox.hub(), transport.eventConnection());
        } catch (OperationalException e) {
            lost(e);
        }
    }

    private void lost(OperationalException e) {
        log.warn("Redis event connection lost: {}", e.getMessage());
        detach();
        transport.connectionLost(e);
    }

    /** Stops watching the event connection: cancels the hub timer and registration, closes the private selector. */
    void close() {
        detach();
        EventIo.closeSelector(selector);
    }

    private void detach() {
        Hub h = inbox.hub();
        RedisConnection ev = transport.eventConnection();
        TimerEntry t = periodicTimer;
        if (t != null) {
            t.cancel();
        }
        if (h != null && ev != null && !h.isClosed() && transport.link() == null) {
            h.remove(ev.socket()); // a shared connection is the link's to remove
        }
    }

    /** The shared event connection was read (the link's reader): no health-check PING is due. */
    void noteIo(long now) {
        lastIo = now;
    }

    /** Throws the first delivery-handler failure recorded on the event thread and not thrown yet. */
    void throwRecordedFailure() {
        inbox.throwRecordedFailure();
    }

    /** The tracking prefixes this poller has on the event connection (event thread). */
    java.util.Set<String> trackedPrefixes() {
        return subscriptions.trackedPrefixes();
    }
}
