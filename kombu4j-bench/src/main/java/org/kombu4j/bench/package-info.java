/**
 * The benchmark harness behind {@code kombu4j bench}: end-to-end scenarios against a broker URL,
 * one JSON object per measurement on standard output, interleaved with peer systems (Python Kombu,
 * later raw Redis and AMQP clients) for comparison. Start at {@link org.kombu4j.bench.Bench#run}.
 *
 * <p>Each run is bounded by a hard deadline, uses only entities it creates under a random
 * {@code bench.k4j.<id>} prefix and deletes them afterwards. Micro-benchmarks (JMH) live in
 * {@code org.kombu4j.bench.jmh}.
 */
@NullMarked
package org.kombu4j.bench;

import org.jspecify.annotations.NullMarked;
