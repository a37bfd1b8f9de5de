package org.kombu4j.hub;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A heap of callbacks due at deadlines read from a {@link Ticker}, fired by whoever calls
 * {@link #runDue(long)}. The {@link Hub} uses one; it also works standalone.
 *
 * <p>Deadlines are in the ticker's nanosecond units. Entries fire in deadline order, ties in the
 * order they were scheduled, and never before their deadline. Cancelled entries are deleted lazily,
 * but the heap is purged whenever cancelled entries exceed half of it, so cancelling any number of
 * entries frees their memory.
 *
 * <p>Thread-safety: {@code schedule*}, {@link TimerEntry#cancel()}, {@link #nanosUntilNext(long)},
 * {@link #size()} and {@link #clear()} may be called from any thread. {@link #runDue(long)} must be
 * called by one thread at a time (the owner); callbacks run on that thread, outside any lock. A
 * callback that throws is logged at ERROR and the remaining due entries still run.
 */
public final class Timer {

    /** Returned by {@link #nanosUntilNext(long)} when nothing is scheduled. */
    public static final long NOTHING_SCHEDULED = -1L;

    private final Ticker ticker;
    private final Logger log;
    private final Object lock = new Object();
    // Guarded by lock.
    private final PriorityQueue<Entry> heap = new PriorityQueue<>();
    private long nextSeq;
    private int cancelledInHeap;

    /** A timer on {@link Ticker#system()}. */
    public Timer() {
        this(Ticker.system());
    }

    /** A timer reading time from {@code ticker}. */
    public Timer(Ticker ticker) {
        this(ticker, LoggerFactory.getLogger(Timer.class));
    }

    /** The hub passes its own logger so that every failing callback it runs is reported in one place. */
    Timer(Ticker ticker, Logger log) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.log = log;
    }

    /** The time source of this timer. */
    public Ticker ticker() {
        return ticker;
    }

    /**
     * Schedules {@code callback} to run once, at the first {@link #runDue(long)} whose time is at or
     * after {@code deadlineNanos}. A deadline in the past fires at the next {@code runDue}.
     */
    public TimerEntry schedule(long deadlineNanos, Runnable callback) {
        Entry entry = new Entry(this, deadlineNanos, 0L, Objects.requireNonNull(callback, "callback"));
        enqueue(entry);
        return entry;
    }

    /**
     * Schedules {@code callback} at {@code firstDeadlineNanos} and then at fixed rate: each next
     * deadline is the previous deadline plus {@code periodNanos}, so lateness does not accumulate. If
     * a run is so late that the next deadline has already passed, the missed runs are skipped and the
     * entry moves to the first deadline {@code first + k * period} after the time passed to
     * {@code runDue}.
     *
     * @throws ConfigurationException if {@code periodNanos <= 0}
     */
    public TimerEntry scheduleAtFixedRate(long firstDeadlineNanos, long periodNanos, Runnable callback) {
        if (periodNanos <= 0) {
            throw new ConfigurationException("timer period must be positive, got " + periodNanos + " ns");
        }
        Entry entry = new Entry(this, firstDeadlineNanos, periodNanos, Objects.requireNonNull(callback, "callback"));
        enqueue(entry);
        return entry;
    }

    /**
     * Fires every entry due at {@code nowNanos} that was scheduled before this call began, in
     * deadline order. Entries scheduled by the callbacks themselves wait for the next call, so a
     * callback that reschedules itself at once cannot keep this method from returning.
     *
     * @return how many callbacks ran
     */
    public int runDue(long nowNanos) {
        long seqLimit;
        synchronized (lock) {
            seqLimit = nextSeq;
        }
        int fired = 0;
        for (;;) {
            @Nullable Entry entry;
            synchronized (lock) {
                entry = peekLive();
                if (entry == null || entry.deadline - nowNanos > 0 || entry.seq >= seqLimit) {
                    return fired;
                }
                heap.poll();
                entry.inHeap = false;
            }
            if (entry.period == 0L) {
                if (!entry.complete()) {
                    continue; // cancelled after we polled it
                }
                runGuarded(entry.callback);
            } else {
                if (entry.isCancelled()) {
                    continue;
                }
                runGuarded(entry.callback);
                reschedule(entry, nowNanos);
            }
            fired++;
        }
    }

    /** {@link #runDue(long)} at the ticker's current time. */
    public int runDue() {
        return runDue(ticker.nanoTime());
    }

    /**
     * Nanoseconds from {@code nowNanos} until the earliest live deadline, {@code 0} if something is
     * already due, or {@link #NOTHING_SCHEDULED} ({@code -1}) if nothing is scheduled.
     */
    public long nanosUntilNext(long nowNanos) {
        synchronized (lock) {
            Entry head = peekLive();
            if (head == null) {
                return NOTHING_SCHEDULED;
            }
            return Math.max(0L, head.deadline - nowNanos);
        }
    }

    /** The number of scheduled, not cancelled entries. */
    public int size() {
        synchronized (lock) {
            return heap.size() - cancelledInHeap;
        }
    }

    /** Cancels every scheduled entry and empties the heap. */
    public void clear() {
        synchronized (lock) {
            for (Entry entry : heap) {
                entry.markCancelled();
                entry.inHeap = false;
            }
            heap.clear();
            cancelledInHeap = 0;
        }
    }

    /** Entries physically held, cancelled ones included: lets tests see that cancelled entries are freed. */
    int heapSize() {
        synchronized (lock) {
            return heap.size();
        }
    }

    /**
     * Adds an entry and reports whether it became the earliest one, which is when a thread sleeping
     * until the previous earliest deadline must be woken.
     */
    boolean enqueue(Entry entry) {
        synchronized (lock) {
            entry.seq = nextSeq++;
            heap.add(entry);
            entry.inHeap = true;
            return heap.peek() == entry;
        }
    }

    private void reschedule(Entry entry, long nowNanos) {
        long next = entry.deadline + entry.period;
        if (next - nowNanos <= 0) {
            // Fell behind by a period or more: skip to the first slot still ahead instead of bursting.
            long periodsBehind = (nowNanos - entry.deadline) / entry.period;
            next = entry.deadline + (periodsBehind + 1) * entry.period;
        }
        synchronized (lock) {
            // Checked under the lock so that a concurrent cancel either sees the entry in the heap
            // (and accounts for it) or keeps it from going back in.
            if (entry.isCancelled()) {
                return;
            }
            entry.deadline = next;
            entry.seq = nextSeq++;
            heap.add(entry);
            entry.inHeap = true;
        }
    }

    private void onCancelled(Entry entry) {
        synchronized (lock) {
            if (!entry.inHeap) {
                return;
            }
            entry.counted = true;
            cancelledInHeap++;
            if (cancelledInHeap > heap.size() / 2) {
                // O(n), but it takes n/2 cancels to get here: amortised O(1) per cancel.
                heap.removeIf(e -> {
                    if (e.isCancelled()) {
                        e.inHeap = false;
                        return true;
                    }
                    return false;
                });
                cancelledInHeap = 0;
            }
        }
    }

    /** Drops cancelled entries from the top so that they neither fire nor shorten a sleep. */
    private @Nullable Entry peekLive() {
        Entry head;
        while ((head = heap.peek()) != null && head.isCancelled()) {
            heap.poll();
            head.inHeap = false;
            // A cancel that has flipped the state but not yet taken the lock is not counted yet; it
            // will find the entry out of the heap and not count it at all.
            if (head.counted) {
                cancelledInHeap--;
            }
        }
        return head;
    }

    private void runGuarded(Runnable callback) {
        try {
            callback.run();
        } catch (Throwable t) {
            CallbackFailures.rethrowIfFatal(t);
            log.error("timer callback {} failed", callback, t);
        }
    }

    /** One scheduled callback; {@code period == 0} for a one-shot entry. */
    static final class Entry implements TimerEntry, Comparable<Entry> {
        private static final int SCHEDULED = 0;
        private static final int DONE = 1;
        private static final int CANCELLED = 2;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Entry.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Timer timer;
        private final long period;
        private final Runnable callback;
        // deadline, seq and inHeap are guarded by timer.lock whenever the entry may be in the heap.
        long deadline;
        long seq;
        boolean inHeap;
        boolean counted;
        @SuppressWarnings("unused") // accessed through STATE
        private volatile int state;

        Entry(Timer timer, long deadline, long period, Runnable callback) {
            this.timer = timer;
            this.deadline = deadline;
            this.period = period;
            this.callback = callback;
        }

        @Override
        public void cancel() {
            if (STATE.compareAndSet(this, SCHEDULED, CANCELLED)) {
                timer.onCancelled(this);
            }
        }

        @Override
        public boolean isCancelled() {
            return state == CANCELLED;
        }

        boolean complete() {
            return STATE.compareAndSet(this, SCHEDULED, DONE);
        }

        void markCancelled() {
            STATE.compareAndSet(this, SCHEDULED, CANCELLED);
        }

        @Override
        public int compareTo(Entry other) {
            long d = deadline - other.deadline;
            if (d != 0) {
                return d < 0 ? -1 : 1;
            }
            return Long.compare(seq, other.seq);
        }

        @Override
        public String toString() {
            return "TimerEntry[" + callback + (period != 0 ? ", every " + period + " ns" : "") + ", state=" + state + "]";
        }
    }
}
