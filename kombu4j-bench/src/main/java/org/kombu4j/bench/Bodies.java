package org.kombu4j.bench;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Message bodies as the bench-peers scripts make them: a JSON dict {@code {"seq": i, "ts": t,
 * "pad": "xxx..."}} whose serialized form is about {@code bodyBytes} long. {@code ts} is wall-clock
 * seconds since the epoch (Python's {@code time.time()}), so latency can be read across processes
 * and languages. Thread-safe.
 */
final class Bodies {
    private final String pad;
    private final int serializedBytes;

    Bodies(int bodyBytes) {
        // The probe has the shape of a typical body: a 5-digit seq and a full-precision timestamp.
        String probe = "{\"seq\":12345,\"ts\":" + WallClock.nowSeconds() + ",\"pad\":\"\"}";
        int padLength = Math.max(0, bodyBytes - probe.getBytes(StandardCharsets.UTF_8).length);
        this.pad = "x".repeat(padLength);
        this.serializedBytes = probe.length() + padLength;
    }

    /** A fresh body for message {@code seq}, stamped now. */
    Map<String, Object> body(int seq) {
        Map<String, Object> m = new LinkedHashMap<>(4);
        m.put("seq", seq);
        m.put("ts", WallClock.nowSeconds());
        m.put("pad", pad);
        return m;
    }

    /** About how many bytes one body serializes to. */
    int serializedBytes() {
        return serializedBytes;
    }

    /** The {@code seq} of a decoded body, or -1 if it has none. */
    static int seqOf(@Nullable Object body) {
        if (body instanceof Map) {
            Object s = ((Map<?, ?>) body).get("seq");
            if (s instanceof Number) {
                return ((Number) s).intValue();
            }
        }
        return -1;
    }

    /** The {@code ts} of a decoded body in epoch seconds, or NaN if it has none. */
    static double tsOf(@Nullable Object body) {
        if (body instanceof Map) {
            Object t = ((Map<?, ?>) body).get("ts");
            if (t instanceof Number) {
                return ((Number) t).doubleValue();
            }
        }
        return Double.NaN;
    }
}
