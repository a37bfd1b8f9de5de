package org.kombu4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ClosedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.hub.Registrations.Side;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loop: one {@link Selector}, a {@link Timer}, a queue of posted callbacks and tick
 * callbacks, in the manner of Kombu's {@code kombu.asynchronous.Hub}.
 *
 * <p>Each iteration (Kombu's order): runs the callbacks posted with {@link #callSoon} before the
 * iteration began; fires due timers in deadline order (ties in scheduling order), never early; runs
 * the tick callbacks; then waits on the selector until the next timer deadline (not at all if
 * callbacks are pending, indefinitely if nothing is scheduled) and dispatches readiness to the
 * reader and writer callbacks. A callback that throws is logged at ERROR on the logger of this class
 * and the loop goes on.
 *
 * <p>Threads: one thread at a time runs the loop ({@link #runOnce}, {@link #runForever}) and owns
 * the selector and the registrations; a second thread trying to run it concurrently gets an {@link
 * IllegalStateException}. {@link #callSoon}, the timer methods, {@link #onTick}, {@link #onClose},
 * {@link #stop} and {@link #close} are safe from any thread. Reader/writer registration called from
 * a thread other than the one running the loop (including while no thread runs it) is posted through
 * {@code callSoon} and takes effect at the start of the next iteration; from the loop thread it
 * takes effect at once. Callbacks never run under a lock held by the hub.
 *
 * <p>Closing the hub closes every channel registered with it (as Kombu's {@code Hub.close} drops its
 * registrations) and the selector, runs the {@link #onClose} callbacks, then runs the callbacks that
 * were still queued. After {@link #close()}, {@code add*}, {@code call*}, {@code onTick},
 * {@code onClose}, {@code runOnce} and {@code runForever} throw {@link ClosedException}; {@code
 * remove*}, {@link #stop()} and {@link #close()} do nothing.
 */
public final class Hub implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Hub.class);
    private static final long MAX_DELAY_NANOS = Long.MAX_VALUE >> 1; // keeps deadline arithmetic clear of overflow
    private static final Duration MAX_DELAY = Duration.ofNanos(MAX_DELAY_NANOS);
    private static final long UNBOUNDED = -1L;

    private final Ticker ticker;
    private final Selector selector;
    private final Timer timer;

    private final PostedCallbacks pending = new PostedCallbacks();
    /**
     * True while the loop is awake or a {@code wakeup()} is already on its way, so that posting
     * costs at most one wakeup syscall per iteration. The loop clears it just before deciding how
     * long to sleep and re-checks its queues after clearing (see {@link #select}).
     */
    private final AtomicBoolean wakeupPending = new AtomicBoolean(true);
    private final AtomicReference<@Nullable Thread> owner = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private final CopyOnWriteArrayList<TickCallback> tickCallbacks = new CopyOnWriteArrayList<>();
    private final Object closeLock = new Object();
    private final List<Runnable> closeCallbacks = new ArrayList<>(); // guarded by closeLock

    // Owned by the loop thread (handed over through `owner`).
    private final Registrations registrations;
    private boolean runningForever;

    /** A hub on {@link Ticker#system()} with its own selector. */
    public Hub() {
        this(Ticker.system());
    }

    /**
     * A hub reading time from {@code ticker}, with its own selector.
     *
     * @throws UncheckedIOException if the selector cannot be opened
     */
    public Hub(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.timer = new Timer(ticker, log);
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector for the hub", e);
        }
        this.registrations = new Registrations(selector);
    }

    /** The time source of this hub's timers; deadlines given to {@link #callAt} are in its units. */
    public Ticker ticker() {
        return ticker;
    }

    // ---------------------------------------------------------------- readiness

    /**
     * Calls {@code callback} on the loop thread whenever {@code channel} is readable (or, for a
     * server channel, acceptable). One reader per channel: adding again replaces the previous one.
     *
     * @throws ConfigurationException if the channel is in blocking mode or cannot be read
     * @throws ClosedException if the hub is closed
     */
    public void addReader(SelectableChannel channel, Runnable callback) {
        change(channel, Side.READER, Objects.requireNonNull(callback, "callback"));
    }

    /**
     * Calls {@code callback} on the loop thread whenever {@code channel} is writable (or, for a
     * socket still connecting, connectable). One writer per channel: adding again replaces it.
     *
     * @throws ConfigurationException if the channel is in blocking mode or cannot be written
     * @throws ClosedException if the hub is closed
     */
    public void addWriter(SelectableChannel channel, Runnable callback) {
        change(channel, Side.WRITER, Objects.requireNonNull(callback, "callback"));
    }

    /** Drops the reader callback of {@code channel}, if any; leaves the channel open. */
    public void removeReader(SelectableChannel channel) {
        change(channel, Side.READER, null);
    }

    /** Drops the writer callback of {@code channel}, if any; leaves the channel open. */
    public void removeWriter(SelectableChannel channel) {
        change(channel, Side.WRITER, null);
    }

    /** Drops both callbacks of {@code channel}; leaves the channel open. */
    public void remove(SelectableChannel channel) {
        change(channel, Side.BOTH, null);
    }

    private void change(SelectableChannel channel, Side side, @Nullable Runnable callback) {
        Objects.requireNonNull(channel, "channel");
        if (callback == null) {
            if (closed.get()) {
                return; // closing dropped every registration already
            }
        } else {
            ensureOpen();
            Registrations.validate(channel, side);
        }
        if (inHubThread()) {
            apply(channel, side, callback);
        } else {
            post(new RegistrationChange(channel, side, callback));
        }
    }

    /** Loop thread only. */
    private void apply(SelectableChannel channel, Side side, @Nullable Runnable callback) {
        assert inHubThread() : "registrations are applied by the loop thread only";
        registrations.apply(channel, side, callback);
    }

    // ---------------------------------------------------------------- callbacks and timers

    /**
     * Runs {@code callback} on the loop thread at the start of the next iteration, after every
     * callback posted before it. Safe from any thread; wakes a blocked loop at most once per
     * iteration. Lock-free.
     *
     * @throws ClosedException if the hub is closed
     */
    public void callSoon(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        ensureOpen();
        post(callback);
    }

    private void post(Runnable callback) {
        pending.push(callback);
        if (!inHubThread()) {
            wakeSelector();
        }
    }

    /**
     * Runs {@code callback} once on the loop thread, {@code delay} from now (never earlier).
     * Safe from any thread; delays beyond ~146 years are treated as that long.
     *
     * @throws ConfigurationException if {@code delay} is negative
     * @throws ClosedException if the hub is closed
     */
    public TimerEntry callLater(Duration delay, Runnable callback) {
        long nanos = delayNanos(delay, "delay");
        return schedule(ticker.nanoTime() + nanos, 0L, callback);
    }

    /**
     * Runs {@code callback} once on the loop thread at {@code deadlineNanos}, in {@link #ticker()}
     * units (never earlier; a past deadline fires at the next iteration). Safe from any thread.
     *
     * @throws ClosedException if the hub is closed
     */
    public TimerEntry callAt(long deadlineNanos, Runnable callback) {
        return schedule(deadlineNanos, 0L, callback);
    }

    /**
     * Runs {@code callback} on the loop thread every {@code period}, first one period from now, at
     * fixed rate: run {@code k} is due at {@code start + k * period} however late earlier runs were.
     * If the loop falls a period or more behind, missed runs are skipped, not run in a burst.
     * Cancel the returned entry to stop it. Safe from any thread.
     *
     * @throws ConfigurationException if {@code period} is zero or negative
     * @throws ClosedException if the hub is closed
     */
    public TimerEntry callRepeatedly(Duration period, Runnable callback) {
        long nanos = delayNanos(period, "period");
        if (nanos == 0) {
            throw new ConfigurationException("callRepeatedly period must be positive, got " + period);
        }
        return schedule(ticker.nanoTime() + nanos, nanos, callback);
    }

    private TimerEntry schedule(long deadline, long period, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        ensureOpen();
        Timer.Entry entry = new Timer.Entry(timer, deadline, period, callback);
        // Only a new earliest deadline can be earlier than the one the loop sleeps towards.
        if (timer.enqueue(entry) && !inHubThread()) {
            wakeSelector();
        }
        return entry;
    }

    private static long delayNanos(Duration delay, String what) {
        Objects.requireNonNull(delay, what);
        if (delay.isNegative()) {
            throw new ConfigurationException(what + " must not be negative, got " + delay);
        }
        return delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY_NANOS : delay.toNanos();
    }

    /**
     * Runs {@code callback} on the loop thread once per iteration, after the timers and before
     * waiting for I/O. Safe from any thread; keep it cheap.
     *
     * @return a handle that unregisters the callback (idempotent, any thread)
     * @throws ClosedException if the hub is closed
     */
    public Runnable onTick(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        ensureOpen();
        TickCallback registration = new TickCallback(callback);
        tickCallbacks.add(registration);
        return () -> tickCallbacks.remove(registration);
    }

    /**
     * Runs {@code callback} when the hub closes, on the thread that performs the close, after the
     * registered channels and the selector are closed. Safe from any thread.
     *
     * @throws ClosedException if the hub is already closed
     */
    public void onClose(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        synchronized (closeLock) {
            ensureOpen();
            closeCallbacks.add(callback);
        }
    }

    // ---------------------------------------------------------------- running

    /**
     * Runs one iteration on the calling thread, waiting for I/O until the next timer deadline, or
     * indefinitely if nothing is scheduled, pending or ready (a {@link #callSoon} from another
     * thread, {@link #stop()} or {@link #close()} ends the wait).
     *
     * @throws IllegalStateException if another thread is running the loop, or if called from
     *     inside a hub callback
     * @throws ClosedException if the hub is closed
     */
    public void runOnce() {
        runOnce(UNBOUNDED);
    }

    /**
     * Runs one iteration on the calling thread, waiting for I/O at most {@code maxWait} (and no
     * longer than until the next timer deadline). {@link Duration#ZERO} never blocks.
     *
     * @throws ConfigurationException if {@code maxWait} is negative
     * @throws IllegalStateException if another thread is running the loop, or if called from
     *     inside a hub callback
     * @throws ClosedException if the hub is closed
     */
    public void runOnce(Duration maxWait) {
        runOnce(delayNanos(maxWait, "maxWait"));
    }

    private void runOnce(long maxWaitNanos) {
        claim();
        try {
            iterate(maxWaitNanos);
        } finally {
            release();
        }
    }

    /**
     * Runs iterations on the calling thread, which becomes the loop thread, until {@link #stop()},
     * {@link #close()} or an interrupt of this thread (the interrupt status is kept). A {@code stop()}
     * made while no {@code runForever} was running makes the next one return at once.
     *
     * @throws IllegalStateException if another thread is running the loop, or if called from
     *     inside a hub callback
     * @throws ClosedException if the hub is closed when called
     */
    public void runForever() {
        claim();
        try {
            runningForever = true;
            Thread me = Thread.currentThread();
            while (!stopRequested && !closed.get() && !me.isInterrupted()) {
                iterate(UNBOUNDED);
            }
        } finally {
            runningForever = false;
            stopRequested = false;
            release();
        }
    }

    /** Makes a running {@link #runForever()} return after its current iteration. Any thread; idempotent. */
    public void stop() {
        stopRequested = true;
        wakeSelector();
    }

    /** Whether the calling thread is the one currently running this hub's loop (or closing it). */
    public boolean inHubThread() {
        return owner.get() == Thread.currentThread();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Closes the hub: closes every channel registered with it and the selector, cancels every timer,
     * runs the {@link #onClose} callbacks (each guarded), then the callbacks still queued. Safe from
     * any thread and idempotent. From a thread other than the loop thread while the loop runs, it
     * wakes the loop, which does the closing after its current callback returns, and waits for it;
     * from the loop thread (e.g. inside a callback) it closes at once.
     */
    @Override
    public void close() {
        Thread me = Thread.currentThread();
        if (closed.compareAndSet(false, true)) {
            if (owner.get() == me) {
                teardown();
                return;
            }
            if (owner.compareAndSet(null, me)) {
                try {
                    teardown();
                } finally {
                    owner.set(null);
                }
                return;
            }
            // Another thread runs the loop; it tears down on its way out (see release()).
            wakeSelector();
        }
        if (owner.get() == me) {
            return; // close() from an onClose callback: the teardown in progress is ours
        }
        awaitTermination();
    }

    private void awaitTermination() {
        try {
            terminated.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void claim() {
        ensureOpen();
        Thread me = Thread.currentThread();
        Thread current = owner.get();
        if (current == me) {
            throw new IllegalStateException("runOnce/runForever called from inside a hub callback; post work with callSoon instead");
        }
        if (!owner.compareAndSet(null, me)) {
            throw new IllegalStateException("hub is already being run by thread '" + nameOf(owner.get())
                    + "'; only one thread at a time may run it");
        }
        if (closed.get()) {
            release();
            ensureOpen();
        }
    }

    private void release() {
        owner.set(null);
        // A close() from another thread that found us running left the teardown to us.
        if (closed.get() && terminated.getCount() > 0 && owner.compareAndSet(null, Thread.currentThread())) {
            try {
                if (terminated.getCount() > 0) {
                    teardown();
                }
            } finally {
                owner.set(null);
            }
        }
    }

    private static String nameOf(@Nullable Thread thread) {
        return thread == null ? "<none>" : thread.getName();
    }

    private void iterate(long maxWaitNanos) {
        runPending();
        if (closed.get()) {
            return;
        }
        timer.runDue(ticker.nanoTime());
        if (closed.get()) {
            return;
        }
        runTicks();
        if (closed.get()) {
            return;
        }
        if (select(maxWaitNanos)) {
            registrations.applyDeferred();
            registrations.dispatch(closed::get);
        }
    }

    /** Runs the callbacks posted before this call, oldest first. */
    private void runPending() {
        for (PostedCallbacks.Task task = pending.takeAll(); task != null; task = task.next()) {
            runGuarded(task.callback, "callback");
        }
    }

    private void runTicks() {
        if (tickCallbacks.isEmpty()) {
            return;
        }
        for (TickCallback tick : tickCallbacks) {
            runGuarded(tick.callback, "tick callback");
            if (closed.get()) {
                return;
            }
        }
    }

    /** Waits for readiness; returns false if the selector failed. */
    private boolean select(long maxWaitNanos) {
        // Clear first, then look at the queues: a poster either sees the cleared flag and wakes us,
        // or posted early enough for the checks below to see its work.
        wakeupPending.set(false);
        try {
            long timeout = sleepNanos(maxWaitNanos);
            if (timeout == 0) {
                selector.selectNow();
            } else if (timeout == UNBOUNDED) {
                selector.select();
            } else {
                // Round up: waking before the deadline would only spin until it arrives.
                selector.select(Math.max(1L, (timeout + 999_999L) / 1_000_000L));
            }
            return true;
        } catch (IOException e) {
            log.error("hub selector failed", e);
            return false;
        } finally {
            wakeupPending.set(true);
        }
    }

    private long sleepNanos(long maxWaitNanos) {
        if (maxWaitNanos == 0 || !pending.isEmpty() || registrations.hasDeferred() || closed.get()
                || (runningForever && stopRequested)) {
            return 0;
        }
        long untilTimer = timer.nanosUntilNext(ticker.nanoTime());
        if (untilTimer == Timer.NOTHING_SCHEDULED) {
            return maxWaitNanos;
        }
        return maxWaitNanos == UNBOUNDED ? untilTimer : Math.min(untilTimer, maxWaitNanos);
    }

    /** Runs a callback, logging what it throws (unless fatal): one failing callback does not stop the loop. */
    static void runGuarded(Runnable callback, String what) {
        try {
            callback.run();
        } catch (Throwable t) {
            CallbackFailures.rethrowIfFatal(t);
            log.error("hub {} {} failed", what, callback, t);
        }
    }

    private void wakeSelector() {
        if (wakeupPending.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new ClosedException("hub is closed");
        }
    }

    /** Runs on the owning thread, once. */
    private void teardown() {
        if (terminated.getCount() == 0) {
            return;
        }
        try {
            List<Runnable> leftovers = new ArrayList<>();
            for (PostedCallbacks.Task task = pending.takeAll(); task != null; task = task.next()) {
                // Registrations posted before the close still count: the hub closes those channels too.
                if (task.callback instanceof RegistrationChange) {
                    runGuarded(task.callback, "registration");
                } else {
                    leftovers.add(task.callback);
                }
            }
            timer.clear();
            tickCallbacks.clear();
            registrations.closeAll();
            List<Runnable> onClose;
            synchronized (closeLock) {
                onClose = new ArrayList<>(closeCallbacks);
                closeCallbacks.clear();
            }
            for (Runnable callback : onClose) {
                runGuarded(callback, "close callback");
            }
            for (Runnable callback : leftovers) {
                runGuarded(callback, "callback");
            }
        } finally {
            terminated.countDown();
        }
    }

    // ---------------------------------------------------------------- internals

    /** A registration change posted from another thread. */
    private final class RegistrationChange implements Runnable {
        private final SelectableChannel channel;
        private final Side side;
        private final @Nullable Runnable callback;

        RegistrationChange(SelectableChannel channel, Side side, @Nullable Runnable callback) {
            this.channel = channel;
            this.side = side;
            this.callback = callback;
        }

        @Override
        public void run() {
            apply(channel, side, callback);
        }

        @Override
        public String toString() {
            return (callback == null ? "remove " : "add ") + side + " " + channel;
        }
    }

    private static final class TickCallback {
        final Runnable callback;

        TickCallback(Runnable callback) {
            this.callback = callback;
        }
    }
}
