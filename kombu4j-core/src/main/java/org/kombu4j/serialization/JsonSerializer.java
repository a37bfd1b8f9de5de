package org.kombu4j.serialization;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

/**
 * Kombu's {@code json} serializer: {@code application/json}, {@code utf-8}, written as compact UTF-8 JSON by
 * Jackson. Java time types, {@link java.math.BigDecimal}, {@link java.util.UUID} and {@code byte[]} are written as
 * Kombu 5.3+ type tags ({@code {"__type__": ..., "__value__": ...}}, WIRE.md §8), and such tags are turned back
 * into those Java types on decode. Decoding yields {@link java.util.LinkedHashMap}, {@link java.util.ArrayList},
 * {@code String}, {@code Integer}/{@code Long}/{@link java.math.BigInteger}, {@code Double}, {@code Boolean} and
 * {@code null}. Python's {@code NaN} and {@code Infinity} literals are read and written. Never enables
 * polymorphic typing. Thread-safe.
 */
public final class JsonSerializer implements Serializer {
    public static final String NAME = "json";
    public static final String CONTENT_TYPE = "application/json";

    private final ObjectMapper mapper;

    public JsonSerializer() {
        // A string can never be longer than the body it came in, which the caller already holds.
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                .build();
        this.mapper = JsonMapper.builder(factory)
                .addModule(JsonTypeTags.module())
                // Python's json module writes and reads bare NaN/Infinity; quoted ones would come back as strings.
                .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                // Characters outside the BMP as real UTF-8 rather than escaped surrogate pairs.
                .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                // json.loads rejects "Extra data" after the document; so do we.
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .build();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public String contentEncoding() {
        return "utf-8";
    }

    @Override
    public byte[] encode(@Nullable Object body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new EncodeException("cannot encode " + typeName(body) + " as json: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public @Nullable Object decode(byte[] data) {
        Object tree;
        try {
            tree = mapper.readValue(data, Object.class);
        } catch (IOException e) {
            throw new DecodeException("cannot decode application/json: " + e.getMessage(), e);
        }
        try {
            return JsonTypeTags.untag(tree);
        } catch (JsonTypeTags.BadTagException e) {
            throw new DecodeException("cannot decode application/json: " + e.getMessage(), e);
        }
    }

    static String typeName(@Nullable Object body) {
        return body == null ? "null" : body.getClass().getName();
    }
}
