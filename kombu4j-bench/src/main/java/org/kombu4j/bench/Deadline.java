package org.kombu4j.bench;

import java.time.Duration;

/** A point in {@link System#nanoTime()} time after which a run gives up. Immutable. */
final class Deadline {
    private final long atNanos;
    private final Duration budget;

    private Deadline(long atNanos, Duration budget) {
        this.atNanos = atNanos;
        this.budget = budget;
    }

    static Deadline in(Duration budget) {
        return new Deadline(System.nanoTime() + budget.toNanos(), budget);
    }

    boolean passed() {
        return System.nanoTime() - atNanos >= 0;
    }

    /** Time left, never negative. */
    Duration remaining() {
        return Duration.ofNanos(Math.max(0, atNanos - System.nanoTime()));
    }

    /** Time left, capped at {@code max}. */
    Duration remainingAtMost(Duration max) {
        Duration left = remaining();
        return left.compareTo(max) < 0 ? left : max;
    }

    Duration budget() {
        return budget;
    }

    /** Thrown when a run passes its deadline. */
    static final class Exceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Exceeded(String what, Duration budget) {
            super("deadline of " + budget.toSeconds() + " s exceeded while " + what);
        }
    }

    void check(String what) {
        if (passed()) {
            throw new Exceeded(what, budget);
        }
    }
}
