package org.kombu4j.serialization;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

/** {@code text/plain} in UTF-8: what Kombu sends for a {@code str} body with no serializer. */
final class TextSerializer extends NamedSerializer {
    static final String NAME = "text";
    static final String CONTENT_TYPE = "text/plain";

    TextSerializer() {
        super(NAME, CONTENT_TYPE, "utf-8");
    }

    @Override
    public byte[] encode(@Nullable Object body) {
        if (body instanceof CharSequence cs) {
            return utf8(cs);
        }
        throw new EncodeException("the text serializer takes a String, not " + JsonSerializer.typeName(body)
                + "; use the json serializer for structured bodies", null);
    }

    @Override
    public String decode(byte[] data) {
        return decode(data, StandardCharsets.UTF_8, CONTENT_TYPE);
    }

    /** A {@code str} body's bytes, as Kombu sends it: UTF-8. */
    static byte[] utf8(CharSequence text) {
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Strict, like Python's {@code bytes.decode}: malformed input is an error, not replacement characters. */
    static String decode(byte[] data, Charset charset, String contentType) {
        try {
            return charset.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new DecodeException("cannot decode " + contentType + " body as " + charset.name() + ": " + e, e);
        }
    }
}
