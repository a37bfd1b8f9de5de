package org.kombu4j.transport;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a transport's events run: on its <em>event thread</em>, which is the thread calling
 * {@code drainEvents} until the transport is moved to a {@link Hub}, and the hub's thread after that.
 * Broker client threads, channel callers and timers {@link #post} work here, so handlers never run on
 * a client's thread and may call back into the channel.
 *
 * <p>Thread rules: {@link #post}, {@link #wake}, {@link #moveTo}, {@link #inEventThread},
 * {@link #onHub}, {@link #recordFailure} and {@link #discardPending} may be called from any thread.
 * {@link #enterDrain}, {@link #exitDrain}, {@link #runPending}, {@link #await} and
 * {@link #throwRecordedFailure} belong to the draining thread (callers serialize drains themselves);
 * once on a hub, posted tasks run there and {@link #runPending} has nothing left to run.
 *
 * <p>Handler failures: a transport that keeps dispatching a batch after a handler threw hands the
 * throwable to {@link #recordFailure}; the first one is thrown, unchanged, by
 * {@link #throwRecordedFailure} (after a drain, or after each task on the hub, where the Hub logs
 * it); later ones until then are logged, so none goes unseen. A task that throws by itself stops
 * {@link #runPending}, leaving the tasks after it queued.
 */
public final class EventInbox {
    private static final Logger log = LoggerFactory.getLogger(EventInbox.class);

    private final Ticker ticker;
    private final Runnable wakeUp;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    /** Guarded by {@link #lock}: a {@link #wake} the drainer has not seen yet. */
    private boolean woken;
    /** Guarded by {@link #lock}: whether a drainer blocks in {@link #await}. */
    private boolean waiting;
    /** Written under {@link #lock}, after the queued tasks were handed over, so that order is kept. */
    private volatile @Nullable Hub hub;
    private volatile @Nullable Thread drainer;
    private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();

    /**
     * @param ticker the time source of the deadlines given to {@link #await}
     * @param wakeUp run after each {@link #post} queued for a drain and after each {@link #wake}, for
     *               a drainer that waits somewhere else than {@link #await} (a selector, say); any thread
     */
    public EventInbox(Ticker ticker, Runnable wakeUp) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.wakeUp = Objects.requireNonNull(wakeUp, "wakeUp");
    }

    /**
     * Runs {@code task} on the event thread: queued for the next {@link #runPending}, or through
     * {@link Hub#callSoon} once {@link #moveTo} was called. Tasks run in the order posted.
     *
     * @throws org.kombu4j.ClosedException if on a hub that is closed
     */
    public void post(Runnable task) {
        Objects.requireNonNull(task, "task");
        Hub h = hub;
        if (h == null) {
            lock.lock();
            try {
                h = hub;
                if (h == null) {
                    tasks.add(task);
                    if (waiting) {
                        arrived.signal();
                    }
                }
            } finally {
                lock.unlock();
            }
            if (h == null) {
                wakeUp.run();
                return;
            }
        }
        h.callSoon(onHub(task));
    }

    /** Ends a wait in {@link #await} (or, through {@code wakeUp}, elsewhere) without queuing a task. */
    public void wake() {
        lock.lock();
        try {
            woken = true;
            if (waiting) {
                arrived.signal();
            }
        } finally {
            lock.unlock();
        }
        wakeUp.run();
    }

    /** Drops the queued tasks (the transport closed). */
    public void discardPending() {
        lock.lock();
        try {
            tasks.clear();
        } finally {
            lock.unlock();
        }
    }

    /** From now on tasks go to {@code hub}, after those queued so far (in order); a later call replaces it. */
    public void moveTo(Hub hub) {
        Objects.requireNonNull(hub, "hub");
        lock.lock();
        try {
            for (Runnable r; (r = tasks.poll()) != null;) {
                hub.callSoon(onHub(r));
            }
            this.hub = hub;
        } finally {
            lock.unlock();
        }
    }

    /** The hub tasks go to, or {@code null} while they wait for a drain. */
    public @Nullable Hub hub() {
        return hub;
    }

    /** Whether {@link #moveTo} was called (then the transport cannot be drained). */
    public boolean onHub() {
        return hub != null;
    }

    /** Whether the caller is the event thread now: the hub's, or the one between enter- and exitDrain. */
    public boolean inEventThread() {
        Hub h = hub;
        return h != null ? h.inHubThread() : drainer == Thread.currentThread();
    }

    /** The calling thread is the event thread until {@link #exitDrain}. */
    public void enterDrain() {
        drainer = Thread.currentThread();
    }

    /** The calling thread stops being the event thread. */
    public void exitDrain() {
        drainer = null;
    }

    /**
     * Runs the tasks queued when called, not those posted meanwhile (they wait for the next call), so
     * that a drainer regains control. A task that throws ends the run; the rest stay queued.
     *
     * @return how many tasks ran
     */
    public int runPending() {
        int n;
        lock.lock();
        try {
            n = tasks.size();
        } finally {
            lock.unlock();
        }
        int ran = 0;
        while (ran < n) {
            Runnable r;
            lock.lock();
            try {
                r = tasks.poll();
            } finally {
                lock.unlock();
            }
            if (r == null) {
                break; // discarded meanwhile
            }
            ran++;
            r.run();
        }
        return ran;
    }

    /**
     * Blocks the draining thread until a task is queued, {@link #wake} was called (each call ends one
     * wait), or {@code deadlineNanos} (a reading of this inbox's {@link Ticker}) has passed.
     *
     * @return whether a task is queued or a wake-up arrived
     * @throws OperationalException if the thread is interrupted (its interrupt flag is set again)
     */
    public boolean await(long deadlineNanos) {
        lock.lock();
        try {
            while (tasks.isEmpty() && !woken) {
                long left = deadlineNanos - ticker.nanoTime();
                if (left <= 0) {
                    return false;
                }
                waiting = true;
                try {
                    arrived.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new OperationalException("interrupted while draining events", e);
                } finally {
                    waiting = false;
                }
            }
            woken = false;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The {@link #await} deadline {@code timeout} from now (a negative one means now). */
    public long deadlineAfter(Duration timeout) {
        return ticker.nanoTime() + Math.max(0, timeout.toNanos());
    }

    /** A delivery handler threw on the event thread; see the class comment. */
    public void recordFailure(Throwable handlerFailure) {
        if (!failure.compareAndSet(null, handlerFailure)) {
            log.error("a delivery handler threw while an earlier failure was being reported", handlerFailure);
        }
    }

    /** Whether a failure was recorded and not thrown yet. */
    public boolean hasRecordedFailure() {
        return failure.get() != null;
    }

    /** Throws, unchanged, the failure recorded first since the last call, if any. */
    public void throwRecordedFailure() {
        Throwable f = failure.getAndSet(null);
        if (f instanceof RuntimeException) {
            throw (RuntimeException) f;
        }
        if (f instanceof Error) {
            throw (Error) f;
        }
    }

    private Runnable onHub(Runnable task) {
        return () -> {
            task.run();
            throwRecordedFailure();
        };
    }
}
