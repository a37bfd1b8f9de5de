package org.kombu4j.sql;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.sqlite.BusyHandler;

/**
 * How a SQLite connection waits for a lock another connection holds: in short parks of 20 µs doubling up to 1 ms,
 * for up to {@link #TIMEOUT_MILLIS} in all, then SQLITE_BUSY.
 *
 * <p>Why not {@code busy_timeout}: SQLite's own handler sleeps 1, 2, 5, 10, 15, 20, 25 ms... between attempts. A
 * publisher and a consumer share the one write lock of the file and each holds it for well under a millisecond a
 * transaction, so a connection that found it taken slept several times longer than the wait needed, with the lock
 * often free meanwhile: under a publish-and-consume load much of the time went to those sleeps.
 */
final class SqliteBusyWait extends BusyHandler {
    /** The longest wait for a lock, as the {@code busy_timeout} this replaces. */
    static final long TIMEOUT_MILLIS = 10_000;
    private static final long FIRST_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Connection-confined, as a SQLite connection is: when the current wait began (System.nanoTime). */
    private long since;

    @Override
    protected int callback(int attempts) {
        long now = System.nanoTime();
        if (attempts == 0) {
            since = now;
        } else if (now - since >= TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS)) {
            return 0; // give up: the statement fails with SQLITE_BUSY
        }
        LockSupport.parkNanos(Math.min(MAX_PARK_NANOS, FIRST_PARK_NANOS << Math.min(attempts, 6)));
        return Thread.currentThread().isInterrupted() ? 0 : 1;
    }
}
