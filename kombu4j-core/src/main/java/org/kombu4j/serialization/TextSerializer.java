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
final class TextSerializer implements Serializer {
    static final String NAME = "text";
    static final String CONTENT_TYPE = "text/plain";

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
        if (body instanceof CharSequence cs) {
            return cs.toString().getBytes(StandardCharsets.UTF_8);
        }
        throw new EncodeException("the text serializer takes a String, not " + JsonSerializer.typeName(body)
                + "; use the json serializer for structured bodies", null);
    }

    @Override
    public String decode(byte[] data) {
        return decode(data, StandardCharsets.UTF_8, CONTENT_TYPE);
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
