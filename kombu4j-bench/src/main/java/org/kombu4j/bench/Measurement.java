package org.kombu4j.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * One measurement, printed as one JSON object. The common fields come first in a fixed order
 * (absent ones are {@code null}); anything a system adds follows. Not thread-safe.
 */
public final class Measurement {
    /** The fields every line carries, in the order they are printed. */
    public static final List<String> FIELDS = List.of("system", "transport", "scenario", "round", "messages", "seconds",
            "msgs_per_s", "cpu_s", "cpu_s_per_1k", "p50_ms", "p90_ms", "p99_ms", "max_ms", "connections", "missing",
            "duplicates", "errors", "body_bytes", "prefetch", "queues");

    /** The {@code system} of kombu4j's own lines. */
    public static final String KOMBU4J = "kombu4j";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, @Nullable Object> fields = new LinkedHashMap<>();

    public Measurement(String system, String transport, String scenario) {
        for (String f : FIELDS) {
            fields.put(f, null);
        }
        fields.put("system", system);
        fields.put("transport", transport);
        fields.put("scenario", scenario);
        fields.put("errors", 0);
    }

    /** Sets a field; doubles are rounded to a readable precision. */
    public Measurement put(String key, @Nullable Object value) {
        fields.put(key, value instanceof Double ? round((Double) value) : value);
        return this;
    }

    public @Nullable Object get(String key) {
        return fields.get(key);
    }

    /** A numeric field as a double, or null if absent or not a number. */
    public @Nullable Double number(String key) {
        Object v = fields.get(key);
        return v instanceof Number ? ((Number) v).doubleValue() : null;
    }

    public String system() {
        return String.valueOf(fields.get("system"));
    }

    public String scenario() {
        return String.valueOf(fields.get("scenario"));
    }

    /** Adds one to {@code errors} and keeps the first error message under {@code error}. */
    public Measurement error(String message) {
        Object e = fields.get("errors");
        fields.put("errors", (e instanceof Number ? ((Number) e).intValue() : 0) + 1);
        fields.putIfAbsent("error", message);
        if (fields.get("error") == null) {
            fields.put("error", message);
        }
        return this;
    }

    public int errors() {
        Object e = fields.get("errors");
        return e instanceof Number ? ((Number) e).intValue() : 0;
    }

    /** A failure as {@code Type: message}, for the {@code error} field. */
    static String describe(Throwable e) {
        String msg = e.getMessage();
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }

    /** {@code messages}, {@code seconds}, {@code msgs_per_s}, {@code cpu_s} and {@code cpu_s_per_1k} of a timed section. */
    Measurement throughput(long messages, long nanos, long cpuNanos) {
        double seconds = nanos / 1e9;
        put("messages", messages).put("seconds", seconds);
        put("msgs_per_s", seconds > 0 ? messages / seconds : 0.0);
        put("cpu_s", cpuNanos / 1e9);
        return put("cpu_s_per_1k", messages > 0 ? cpuNanos / 1e9 / messages * 1000 : null);
    }

    /** p50/p90/p99/max in milliseconds from a histogram whose unit is 1/{@code perMs} ms; none if it is empty. */
    Measurement latencies(Histogram h, double perMs) {
        if (h.getTotalCount() == 0) {
            return this;
        }
        put("p50_ms", h.getValueAtPercentile(50) / perMs);
        put("p90_ms", h.getValueAtPercentile(90) / perMs);
        put("p99_ms", h.getValueAtPercentile(99) / perMs);
        return put("max_ms", h.getMaxValue() / perMs);
    }

    public Map<String, @Nullable Object> asMap() {
        return Collections.unmodifiableMap(fields);
    }

    /** The measurement as one line of JSON (no newline). */
    public String toJson() {
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write measurement as JSON", e);
        }
    }

    @Override
    public String toString() {
        return toJson();
    }

    /** Rounds to 4 significant decimals below 1, to 0.1 above 1000, to 0.001 in between. */
    static double round(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        double a = Math.abs(v);
        double scale = a >= 1000 ? 10 : a >= 1 ? 1000 : 1_000_000;
        return Math.round(v * scale) / scale;
    }
}
