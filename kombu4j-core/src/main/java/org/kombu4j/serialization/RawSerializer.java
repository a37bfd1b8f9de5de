package org.kombu4j.serialization;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.kombu4j.EncodeException;

/**
 * Kombu's {@code raw}: bytes pass through as {@code application/data}. A String is sent as its UTF-8 bytes;
 * {@link Serializers#encode} then declares {@code utf-8} instead of {@code binary}, as Kombu's raw_encode does.
 */
final class RawSerializer implements Serializer {
    static final String NAME = "raw";
    static final String CONTENT_TYPE = "application/data";

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
        return "binary";
    }

    @Override
    public byte[] encode(@Nullable Object body) {
        if (body instanceof byte[] bytes) {
            return bytes;
        }
        if (body instanceof CharSequence cs) {
            return cs.toString().getBytes(StandardCharsets.UTF_8);
        }
        throw new EncodeException("the raw serializer takes byte[] or String, not " + JsonSerializer.typeName(body),
                null);
    }

    @Override
    public byte[] decode(byte[] data) {
        return data;
    }
}
