package org.kombu4j.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.kombu4j.hub.Ticker;

/**
 * Time that moves only when a test says so, as a wall clock ({@link Clock}) and a monotonic
 * {@link Ticker} at once: {@link #advance} moves both, so code that compares epoch timestamps and
 * code that measures intervals see the same jump. Thread-safe.
 */
public final class FakeClock extends Clock implements Ticker {
    private final AtomicLong epochNanos;
    private final ZoneId zone;

    /** A clock reading {@code start}, in UTC. */
    public FakeClock(Instant start) {
        this(new AtomicLong(Math.addExact(Math.multiplyExact(start.getEpochSecond(), 1_000_000_000L), start.getNano())),
                ZoneOffset.UTC);
    }

    private FakeClock(AtomicLong epochNanos, ZoneId zone) {
        this.epochNanos = epochNanos;
        this.zone = zone;
    }

    /** Moves time forward (or back, with a negative duration). */
    public void advance(Duration by) {
        epochNanos.addAndGet(by.toNanos());
    }

    /** Sets the wall-clock time; the ticker jumps by the same amount. */
    public void set(Instant now) {
        epochNanos.set(Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano()));
    }

    @Override
    public long nanoTime() {
        return epochNanos.get();
    }

    @Override
    public Instant instant() {
        long n = epochNanos.get();
        return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
    }

    @Override
    public long millis() {
        return Math.floorDiv(epochNanos.get(), 1_000_000L);
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    /** The same time (advancing one advances the other) seen in another zone. */
    @Override
    public Clock withZone(ZoneId other) {
        return new FakeClock(epochNanos, other);
    }
}
