package org.kombu4j.serialization;

import org.jspecify.annotations.Nullable;
import org.kombu4j.EncodeException;

/**
 * Kombu's {@code raw}: bytes pass through as {@code application/data}. A String is sent as its UTF-8 bytes;
 * {@link Serializers#encode} then declares {@code utf-8} instead of {@code binary}, as Kombu's raw_encode does.
 */
final class RawSerializer extends NamedSerializer {
    static final String NAME = "raw";
    static final String CONTENT_TYPE = "application/data";

    RawSerializer() {
        super(NAME, CONTENT_TYPE, "binary");
    }

    @Override
    public byte[] encode(@Nullable Object body) {
        if (body instanceof byte[] bytes) {
            return bytes;
        }
        if (body instanceof CharSequence cs) {
            return TextSerializer.utf8(cs);
        }
        throw new EncodeException("the raw serializer takes byte[] or String, not " + JsonSerializer.typeName(body),
                null);
    }

    @Override
    public byte[] decode(byte[] data) {
        return data;
    }
}
