package org.kombu4j.bench;

import java.io.PrintStream;

/** Progress lines on standard error, at most one every two seconds. Confined to one thread. */
final class Progress {
    private static final long EVERY_NANOS = 2_000_000_000L;

    private final PrintStream err;
    private final String label;
    private final long start = System.nanoTime();
    private long last = start;

    Progress(PrintStream err, String label) {
        this.err = err;
        this.label = label;
    }

    /** Prints "{@code what}: done/total" if two seconds passed since the last line. */
    void update(String what, long done, long total) {
        long now = System.nanoTime();
        if (now - last >= EVERY_NANOS) {
            last = now;
            err.printf("[bench] %s %s: %d/%d (%.1f s)%n", label, what, done, total, (now - start) / 1e9);
        }
    }

    void note(String text) {
        err.println("[bench] " + label + " " + text);
    }
}
