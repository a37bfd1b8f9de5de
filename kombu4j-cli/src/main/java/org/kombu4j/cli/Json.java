package org.kombu4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** JSON in (bodies and header values from the command line) and out (messages printed by consume). */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    private Json() {
    }

    /**
     * Parses a JSON document into maps, lists and scalars.
     *
     * @param what names the input in the error, e.g. {@code --body}
     * @throws UsageException if {@code text} is not one valid JSON document
     */
    static @Nullable Object parse(String text, String what) {
        try {
            return MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new UsageException(what + " is not valid JSON: " + Main.oneLine(e.getOriginalMessage()) + where);
        }
    }

    /** A header value from the command line: a JSON number, {@code true}, {@code false} or {@code null}, else the text. */
    static @Nullable Object scalar(String text) {
        String t = text.strip();
        if (t.equals("true")) {
            return Boolean.TRUE;
        }
        if (t.equals("false")) {
            return Boolean.FALSE;
        }
        if (t.equals("null")) {
            return null;
        }
        if (!t.isEmpty() && (Character.isDigit(t.charAt(0)) || t.charAt(0) == '-')) {
            try {
                Object v = MAPPER.readValue(t, Object.class);
                if (v instanceof Number) {
                    return v;
                }
            } catch (JsonProcessingException e) {
                // Not a JSON number: the value is the text itself.
            }
        }
        return text;
    }

    /** One line of JSON; {@code value} is first made renderable by {@link #plain}. */
    static String write(@Nullable Object value) {
        try {
            return MAPPER.writeValueAsString(plain(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Turns a decoded body (from JSON, msgpack or YAML) into values Jackson writes without extra
     * modules: dates and times as ISO strings, bytes as base64, map keys as strings; other unknown
     * types as their {@code toString()}.
     */
    static @Nullable Object plain(@Nullable Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
                || v instanceof Double || v instanceof Float || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            return v;
        }
        if (v instanceof BigDecimal) {
            return v;
        }
        if (v instanceof byte[]) {
            return Base64.getEncoder().encodeToString((byte[]) v);
        }
        if (v instanceof Map) {
            Map<String, @Nullable Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                out.put(String.valueOf(e.getKey()), plain(e.getValue()));
            }
            return out;
        }
        if (v instanceof Collection) {
            List<@Nullable Object> out = new ArrayList<>();
            for (Object o : (Collection<?>) v) {
                out.add(plain(o));
            }
            return out;
        }
        if (v instanceof Object[]) {
            List<@Nullable Object> out = new ArrayList<>();
            for (Object o : (Object[]) v) {
                out.add(plain(o));
            }
            return out;
        }
        if (v instanceof Number) {
            // AtomicLong, LongAdder and friends: their decimal text is the number.
            try {
                return new BigDecimal(v.toString());
            } catch (NumberFormatException e) {
                return v.toString();
            }
        }
        if (v instanceof TemporalAccessor || v instanceof java.util.UUID || v instanceof Character) {
            return v.toString();
        }
        if (v instanceof java.util.Date) {
            return ((java.util.Date) v).toInstant().toString();
        }
        return v.toString();
    }
}
