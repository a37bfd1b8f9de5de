package org.kombu4j.bench.jmh;

import java.util.Map;
import org.kombu4j.serialization.Encoded;
import org.kombu4j.serialization.Serializers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/** A 1 KiB JSON dict body ({@code seq}, {@code ts}, {@code pad}) through core's {@link Serializers}. */
public class SerializationBenchmark extends JmhDefaults {
    private Serializers serializers = Serializers.defaults();
    private Map<String, Object> body = Map.of();
    private byte[] encoded = new byte[0];

    @Setup
    public void setUp() {
        serializers = Serializers.defaults();
        body = oneKibBody();
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
