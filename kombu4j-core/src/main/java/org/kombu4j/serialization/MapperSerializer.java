package org.kombu4j.serialization;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

/** A serializer that is one Jackson {@link ObjectMapper} for a data format (msgpack, yaml) under Kombu's names. */
abstract class MapperSerializer extends NamedSerializer {
    private final ObjectMapper mapper;

    MapperSerializer(String name, String contentType, String contentEncoding, ObjectMapper mapper) {
        super(name, contentType, contentEncoding);
        this.mapper = mapper;
    }

    @Override
    public final byte[] encode(@Nullable Object body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new EncodeException("cannot encode " + JsonSerializer.typeName(body) + " as " + name() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public final @Nullable Object decode(byte[] data) {
        try {
            return mapper.readValue(data, Object.class);
        } catch (IOException e) {
            throw new DecodeException("cannot decode " + contentType() + ": " + e.getMessage(), e);
        }
    }
}
