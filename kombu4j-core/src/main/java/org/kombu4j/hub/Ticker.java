package org.kombu4j.hub;

/**
 * A monotonic time source in nanoseconds, injectable so that tests control time instead of sleeping.
 *
 * <p>Values mean nothing on their own: only differences between two readings of the same ticker do,
 * compared as {@code a - b < 0} so that wrap-around (as allowed by {@link System#nanoTime()}) is
 * harmless. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Ticker {

    /** The current reading, in nanoseconds. */
    long nanoTime();

    /** The ticker backed by {@link System#nanoTime()}. */
    static Ticker system() {
        return SystemTicker.INSTANCE;
    }
}
