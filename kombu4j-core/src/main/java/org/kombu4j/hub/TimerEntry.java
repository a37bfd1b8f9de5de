package org.kombu4j.hub;

/**
 * A callback scheduled on a {@link Timer} or {@link Hub}.
 *
 * <p>{@link #cancel()} is idempotent and thread-safe. Cancelling from the thread that runs the timer
 * guarantees the callback does not run afterwards; cancelling from another thread races with a run
 * that has already started, as with any executor. A cancelled entry is dropped from the timer so
 * that it can be garbage collected.
 */
public interface TimerEntry {

    /** Stops this entry from firing again; for a repeating entry, stops every future run. */
    void cancel();

    /** Whether {@link #cancel()} was called (or the owning timer was cleared) before the entry completed. */
    boolean isCancelled();
}
