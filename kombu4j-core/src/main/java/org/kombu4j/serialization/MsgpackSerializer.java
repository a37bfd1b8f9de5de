package org.kombu4j.serialization;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.msgpack.jackson.dataformat.MessagePackFactory;

/**
 * Kombu's {@code msgpack} ({@code application/x-msgpack}, {@code binary}) through jackson-dataformat-msgpack.
 * Strings travel as msgpack str and {@code byte[]} as bin, as Python's {@code packb(use_bin_type=True)} does;
 * decoding yields maps, lists, strings, numbers and {@code byte[]}. Dates, times, decimals and UUIDs, which Python's
 * msgpack has no form for, are written as strings in Kombu 5.2's JSON forms. Only constructed when the library is
 * present.
 */
final class MsgpackSerializer extends MapperSerializer {
    static final String NAME = "msgpack";
    static final String CONTENT_TYPE = "application/x-msgpack";
    static final String LIBRARY_CLASS = "org.msgpack.jackson.dataformat.MessagePackFactory";
    static final String ARTIFACT = "org.msgpack:jackson-dataformat-msgpack";

    // No FAIL_ON_TRAILING_TOKENS: the msgpack parser reports end of input as an error when asked for more
    // tokens, so bytes after the first object are ignored here (Python's unpackb would raise ExtraData).
    MsgpackSerializer() {
        super(NAME, CONTENT_TYPE, "binary",
                new ObjectMapper(new MessagePackFactory()).registerModule(JsonPlainForms.module(false)));
    }
}
