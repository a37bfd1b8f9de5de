/**
 * JMH micro-benchmarks of core's hot paths: JSON serialization round trip
 * ({@link org.kombu4j.bench.jmh.SerializationBenchmark}), a {@code memory://} publish and consume
 * ({@link org.kombu4j.bench.jmh.MemoryRoundTripBenchmark}) and topic routing over 100 bindings
 * ({@link org.kombu4j.bench.jmh.RoutingBenchmark}). RESP parsing joins with the Redis transport.
 * Run them from the shaded jar: {@code java -cp kombu4j-bench/target/kombu4j-bench-*-all.jar
 * org.openjdk.jmh.Main} (see {@code BENCHMARKS.md}).
 */
@NullMarked
package org.kombu4j.bench.jmh;

import org.jspecify.annotations.NullMarked;
