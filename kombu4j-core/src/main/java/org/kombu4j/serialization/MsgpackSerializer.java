package org.kombu4j.serialization;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;
import org.msgpack.jackson.dataformat.MessagePackFactory;

/**
 * Kombu's {@code msgpack} ({@code application/x-msgpack}, {@code binary}) through jackson-dataformat-msgpack.
 * Strings travel as msgpack str and {@code byte[]} as bin, as Python's {@code packb(use_bin_type=True)} does;
 * decoding yields maps, lists, strings, numbers and {@code byte[]}. Only constructed when the library is present.
 */
final class MsgpackSerializer implements Serializer {
    static final String NAME = "msgpack";
    static final String CONTENT_TYPE = "application/x-msgpack";
    static final String LIBRARY_CLASS = "org.msgpack.jackson.dataformat.MessagePackFactory";
    static final String ARTIFACT = "org.msgpack:jackson-dataformat-msgpack";

    // No FAIL_ON_TRAILING_TOKENS: the msgpack parser reports end of input as an error when asked for more
    // tokens, so bytes after the first object are ignored here (Python's unpackb would raise ExtraData).
    private final ObjectMapper mapper = new ObjectMapper(new MessagePackFactory());

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
        try {
            return mapper.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new EncodeException("cannot encode " + JsonSerializer.typeName(body) + " as msgpack: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public @Nullable Object decode(byte[] data) {
        try {
            return mapper.readValue(data, Object.class);
        } catch (IOException e) {
            throw new DecodeException("cannot decode " + CONTENT_TYPE + ": " + e.getMessage(), e);
        }
    }
}
