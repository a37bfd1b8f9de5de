package org.kombu4j.hub;

/** {@link Ticker#system()}; an enum so that there is exactly one and it needs no allocation. */
enum SystemTicker implements Ticker {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }
}
