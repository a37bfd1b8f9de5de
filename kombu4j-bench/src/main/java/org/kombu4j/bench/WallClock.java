package org.kombu4j.bench;

import java.time.Instant;

/**
 * Wall-clock seconds since the epoch with sub-microsecond steps: one reading of the system clock
 * at class load, then {@link System#nanoTime()} deltas, so that two stamps in this JVM differ by
 * exactly the elapsed time (the system clock may be coarser, or step).
 */
final class WallClock {
    private static final long BASE_NANOS = System.nanoTime();
    private static final double BASE_SECONDS;

    static {
        Instant now = Instant.now();
        BASE_SECONDS = now.getEpochSecond() + now.getNano() / 1e9;
    }

    private WallClock() {
    }

    static double nowSeconds() {
        return BASE_SECONDS + (System.nanoTime() - BASE_NANOS) / 1e9;
    }
}
