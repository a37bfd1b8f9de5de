package org.kombu4j.hub;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker that moves only when told to. */
final class FakeTicker implements Ticker {
    private final AtomicLong now;

    FakeTicker(long start) {
        this.now = new AtomicLong(start);
    }

    FakeTicker() {
        this(0L);
    }

    @Override
    public long nanoTime() {
        return now.get();
    }

    void set(long nanos) {
        now.set(nanos);
    }

    void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }
}
