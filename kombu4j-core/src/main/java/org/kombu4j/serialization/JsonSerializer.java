package org.kombu4j.serialization;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

/**
 * Kombu's {@code json} serializer: {@code application/json}, {@code utf-8}, written as compact UTF-8 JSON by
 * Jackson. Java time types, {@link java.math.BigDecimal}, {@link java.util.UUID} and {@code byte[]} are written as
 * Kombu 5.3+ type tags ({@code {"__type__": ..., "__value__": ...}}, WIRE.md §8), or in {@link JsonMode#KOMBU52} as
 * Kombu 5.2's plain strings, and tags are turned back into those Java types on decode in either mode. Decoding yields {@link java.util.LinkedHashMap}, {@link java.util.ArrayList},
 * {@code String}, {@code Integer}/{@code Long}/{@link java.math.BigInteger}, {@code Double}, {@code Boolean} and
 * {@code null}. Python's {@code NaN} and {@code Infinity} literals are read and written. Never enables
 * polymorphic typing. Thread-safe.
 */
public final class JsonSerializer extends NamedSerializer {
    public static final String NAME = "json";
    public static final String CONTENT_TYPE = "application/json";

    private final ObjectMapper mapper;
    private final JsonMode mode;
    /** The hand-written fast path writes exactly what kombu4j's own mapper writes, so only that mapper uses it. */
    private final boolean plainFastPath;

    /** kombu4j's own mapper, with Kombu 5.3+ type tags. */
    public JsonSerializer() {
        this(null, JsonMode.KOMBU53);
    }

    /**
     * A json serializer writing with a copy of {@code base} (the application's naming strategy, inclusion rules,
     * modules, mix-ins...; {@code base} itself is never changed), or with kombu4j's own mapper when null. On top of
     * it go the Kombu forms of dates, times, decimals, UUIDs and bytes ({@code mode}), the readers that take them
     * from tags or strings, and what Python's json needs (bare {@code NaN}/{@code Infinity}, no trailing data).
     *
     * @throws ConfigurationException if {@code base} is not a JSON mapper (YAML, XML, CBOR...)
     */
    public JsonSerializer(@Nullable ObjectMapper base, JsonMode mode) {
        super(NAME, CONTENT_TYPE, "utf-8");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.plainFastPath = base == null;
        ObjectMapper m;
        if (base == null) {
            // A string can never be longer than the body it came in, which the caller already holds.
            JsonFactory factory = JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                    .build();
            m = JsonMapper.builder(factory)
                    // Python's json module writes and reads bare NaN/Infinity; quoted ones would come back as strings.
                    .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                    // Doubles as the shortest digits that read back as the same value (Schubfach), not JDK 17's
                    // slower Double.toString, which sometimes adds a digit; any JSON reader gets the same double.
                    .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
                    // Characters outside the BMP as real UTF-8 rather than escaped surrogate pairs.
                    .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                    .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    // json.loads rejects "Extra data" after the document; so do we.
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();
        } else {
            String format = base.getFactory().getFormatName();
            if (!JsonFactory.FORMAT_NAME_JSON.equals(format)) {
                throw new ConfigurationException("the ObjectMapper for the json serializer must be a JSON mapper, not "
                        + format + " (" + base.getClass().getName() + ")");
            }
            m = base.copy();
            m.getFactory().setStreamReadConstraints(
                    StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build());
            // The same wire rules as kombu4j's own mapper above, whatever the application chose.
            m.configure(JsonWriteFeature.WRITE_NAN_AS_STRINGS.mappedFeature(), false);
            m.configure(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8.mappedFeature(), true);
            m.configure(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature(), true);
            m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        }
        // Registered last, so they win over the application's own (say JavaTimeModule's) for these types.
        m.registerModule(TypedValues.reading());
        m.registerModule(mode == JsonMode.KOMBU53 ? JsonTypeTags.module() : JsonPlainForms.module(true));
        this.mapper = m;
    }

    /** How dates, times, decimals, UUIDs and bytes are written. */
    public JsonMode mode() {
        return mode;
    }

    @Override
    public byte[] encode(@Nullable Object body) {
        byte[] plain = plainFastPath ? PlainJsonWriter.encode(body) : null;
        return plain != null ? plain : encodeWithJackson(body);
    }

    /** The general path: any type Jackson can write, with Kombu's type tags. */
    byte[] encodeWithJackson(@Nullable Object body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new EncodeException("cannot encode " + typeName(body) + " as json: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public @Nullable Object decode(byte[] data) {
        Object plain = PlainJsonReader.decode(data);
        return plain != PlainJson.NOT_HANDLED ? plain : decodeWithJackson(data);
    }

    /** The general path, and the one that words every error. */
    @Nullable Object decodeWithJackson(byte[] data) {
        // Streaming, with Kombu's tags turned back into Java types as each object closes (Python's
        // object_hook order), so a body is read in one pass instead of a tree plus a second walk.
        try (JsonParser p = mapper.createParser(data)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new DecodeException("cannot decode application/json: no JSON document in an empty body", null);
            }
            Object value = read(p, first);
            JsonToken extra = p.nextToken();
            if (extra != null) {
                throw new DecodeException("cannot decode application/json: extra data after the document (" + extra + ")", null);
            }
            return value;
        } catch (JsonTypeTags.BadTagException e) {
            throw new DecodeException("cannot decode application/json: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DecodeException("cannot decode application/json: " + e.getMessage(), e);
        }
    }

    private static @Nullable Object read(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, @Nullable Object> map = new LinkedHashMap<>();
                JsonToken next;
                while ((next = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    map.put(key, read(p, p.nextToken()));
                }
                if (map.size() == 2 && map.containsKey(JsonTypeTags.TYPE) && map.containsKey(JsonTypeTags.VALUE)) {
                    return JsonTypeTags.decodeTag(map.get(JsonTypeTags.TYPE), map.get(JsonTypeTags.VALUE));
                }
                return map;
            }
            case START_ARRAY: {
                List<@Nullable Object> list = new ArrayList<>();
                JsonToken next;
                while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
                    list.add(read(p, next));
                }
                return list;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getNumberValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new DecodeException("cannot decode application/json: unexpected token " + t, null);
        }
    }

    static String typeName(@Nullable Object body) {
        return body == null ? "null" : body.getClass().getName();
    }
}
