package org.kombu4j.bench;

import java.time.Instant;

/**
 * Wall-clock seconds since the epoch with sub-microsecond steps: one reading of the system clock
 * at class load, then {@link System#nanoTime()} deltas, so that two stamps in this JVM differ by
 * exactly the elapsed time (the system clock may be coarser, or step).
 */
final class WallClock {
    private static final long BASE_NANOS;
    private static final double BASE_SECONDS;

    static {
        // The pair is read back to back, the tightest of a few tries: a first Instant.now() loads the clock
        // classes, which took milliseconds in a fresh JVM and skewed stamps compared across processes (the
        // latency publisher runs in a JVM of its own).
        Instant.now();
        long bestSpan = Long.MAX_VALUE;
        long nanos = 0;
        double seconds = 0;
        for (int i = 0; i < 8; i++) {
            long before = System.nanoTime();
            Instant now = Instant.now();
            long after = System.nanoTime();
            if (after - before < bestSpan) {
                bestSpan = after - before;
                nanos = before + (after - before) / 2;
                seconds = now.getEpochSecond() + now.getNano() / 1e9;
            }
        }
        BASE_NANOS = nanos;
        BASE_SECONDS = seconds;
    }

    private WallClock() {
    }

    static double nowSeconds() {
        return BASE_SECONDS + (System.nanoTime() - BASE_NANOS) / 1e9;
    }
}
