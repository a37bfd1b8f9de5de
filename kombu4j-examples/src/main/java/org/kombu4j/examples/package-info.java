/**
 * Example programs, each a {@code main} that runs against the broker named by its first argument (or
 * {@code KOMBU4J_URL}); the module's tests run every one of them against real brokers, so they stay true.
 */
package org.kombu4j.examples;
