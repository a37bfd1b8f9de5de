package org.kombu4j.redis.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How decoded replies are represented, and helpers to read them. Bulk and verbatim strings are
 * {@code byte[]}, simple strings {@link String}, integers {@link Long}, arrays, sets, maps (flattened
 * key, value, ...) {@code List<Object>}, pushes {@link RespPush}, errors {@link RespError}, nulls
 * {@code null}, RESP3 booleans {@link Boolean}, doubles {@link Double}, big numbers {@link java.math.BigInteger}.
 */
public final class Resp {
    private Resp() {
    }

    /** A string or bulk reply as text (UTF-8); other values via {@code toString}. */
    public static String text(@Nullable Object o) {
        if (o instanceof byte[]) {
            return new String((byte[]) o, StandardCharsets.UTF_8);
        }
        return String.valueOf(o);
    }

    public static long integer(@Nullable Object o) {
        if (o instanceof Long) {
            return (Long) o;
        }
        if (o instanceof byte[] || o instanceof String) {
            return Long.parseLong(text(o));
        }
        throw new RespProtocolException("expected an integer reply, got " + describe(o));
    }

    @SuppressWarnings("unchecked")
    public static List<Object> array(@Nullable Object o) {
        if (o instanceof List) {
            return (List<Object>) o;
        }
        throw new RespProtocolException("expected an array reply, got " + describe(o));
    }

    public static String describe(@Nullable Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof byte[]) {
            return "bulk(" + ((byte[]) o).length + " bytes)";
        }
        return o.getClass().getSimpleName() + " " + o;
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
