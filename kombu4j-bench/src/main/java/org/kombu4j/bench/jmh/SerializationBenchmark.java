package org.kombu4j.bench.jmh;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.kombu4j.serialization.Encoded;
import org.kombu4j.serialization.Serializers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** A 1 KiB JSON dict body ({@code seq}, {@code ts}, {@code pad}) through core's {@link Serializers}. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SerializationBenchmark {
    private Serializers serializers = Serializers.defaults();
    private Map<String, Object> body = Map.of();
    private byte[] encoded = new byte[0];

    @Setup
    public void setUp() {
        serializers = Serializers.defaults();
        body = new LinkedHashMap<>();
        body.put("seq", 12345);
        body.put("ts", 1.7e9 + 0.123456);
        body.put("pad", "x".repeat(1024 - 52));
        encoded = serializers.encode(body, "json").body();
    }

    @Benchmark
    public byte[] encode() {
        return serializers.encode(body, "json").body();
    }

    @Benchmark
    public Object decode() {
        return serializers.decode(encoded, "application/json", "utf-8", null);
    }

    @Benchmark
    public Object encodeAndDecode() {
        Encoded e = serializers.encode(body, "json");
        return serializers.decode(e.body(), e.contentType(), e.contentEncoding(), null);
    }
}
