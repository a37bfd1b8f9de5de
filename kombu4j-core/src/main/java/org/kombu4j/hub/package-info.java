/**
 * The event loop: {@link org.kombu4j.hub.Hub} waits on every registered channel at once through one
 * {@link java.nio.channels.Selector}, runs posted callbacks, fires {@link org.kombu4j.hub.Timer}
 * entries and tick callbacks, and dispatches readiness to reader and writer callbacks. One thread at a
 * time runs the loop and owns the selector and its registrations; other threads talk to it through
 * {@code callSoon} and the timer methods, which are thread-safe. Time comes from an injectable
 * {@link org.kombu4j.hub.Ticker} so that tests advance it instead of sleeping.
 */
@org.jspecify.annotations.NullMarked
package org.kombu4j.hub;
