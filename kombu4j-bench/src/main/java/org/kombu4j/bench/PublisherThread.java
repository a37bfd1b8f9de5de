package org.kombu4j.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The publishing side of a scenario that consumes at the same time (roundtrip, latency): a daemon thread that
 * keeps its first failure, and tells the consume loop when to stop waiting for what it did not send.
 */
final class PublisherThread {
    /** After the publisher stopped, how long the consume loop still waits for what is in flight. */
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Thread thread;
    private final AtomicReference<@Nullable String> error = new AtomicReference<>();
    private long stoppedAt;

    PublisherThread(String name, Runnable body) {
        thread = new Thread(() -> {
            try {
                body.run();
            } catch (RuntimeException e) {
                error.compareAndSet(null, "producer: " + Measurement.describe(e));
            }
        }, name);
        thread.setDaemon(true);
    }

    /**
     * Calls {@code send} with 0..n-1, message i at {@code t0Nanos + i / rate}, failing once the deadline has passed.
     */
    static PublisherThread atFixedRate(String name, int n, double rate, long t0Nanos, Deadline deadline, IntConsumer send) {
        return new PublisherThread(name, () -> {
            for (int i = 0; i < n; i++) {
                long due = t0Nanos + (long) (i * 1e9 / rate);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                send.accept(i);
                if (deadline.passed()) {
                    throw new Deadline.Exceeded("publishing at a fixed rate", deadline.budget());
                }
            }
        });
    }

    void start() {
        thread.start();
    }

    /** The first failure, as {@code producer: Type: message}, or null. */
    @Nullable String error() {
        return error.get();
    }

    /** Whether the publisher has ended (done or failed) at least the grace period ago; call it once per loop pass. */
    boolean stoppedLongAgo() {
        return longAgo(!thread.isAlive());
    }

    /** Whether the publisher has failed at least the grace period ago; call it once per loop pass. */
    boolean failedLongAgo() {
        return longAgo(!thread.isAlive() && error.get() != null);
    }

    private boolean longAgo(boolean stopped) {
        if (!stopped) {
            return false;
        }
        long now = System.nanoTime();
        if (stoppedAt == 0) {
            stoppedAt = now;
            return false;
        }
        return now - stoppedAt > GRACE_NANOS;
    }

    /** Interrupts the thread, ending a wait for the next message's time. */
    void interrupt() {
        thread.interrupt();
    }

    /** Waits up to {@code millis} (more than 0) for the thread to end, then interrupts it. */
    void finish(long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }
}
