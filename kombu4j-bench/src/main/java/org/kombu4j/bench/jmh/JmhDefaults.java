package org.kombu4j.bench.jmh;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every benchmark here shares (JMH's class annotations are inherited): per-thread state, average time in
 * nanoseconds per operation, 3 warm-up and 5 measured iterations of 1 s, one fork. Command-line options
 * ({@code -f}, {@code -wi}, {@code -i}) still override these.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public abstract class JmhDefaults {
    /**
     * The body the JSON benchmarks use, a 1 KiB dict as {@code kombu4j bench} sends: {@code seq}, {@code ts} (a
     * full-precision epoch time) and a pad, 1,024 bytes once serialized.
     */
    static Map<String, Object> oneKibBody() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("seq", 12345);
        body.put("ts", 1.7e9 + 0.123456);
        body.put("pad", "x".repeat(1024 - 52));
        return body;
    }
}
