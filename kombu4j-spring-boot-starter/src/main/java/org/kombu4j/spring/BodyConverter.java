package org.kombu4j.spring;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Type;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.DecodeException;

/**
 * Turns a decoded message body (the {@code Map}/{@code List}/scalar the serializer produced) into a listener
 * parameter's declared type with Jackson's {@link ObjectMapper#convertValue}. The only place the starter converts
 * bodies, so that it can move to core's typed consumption in one step.
 */
final class BodyConverter {
    private final ObjectMapper mapper;

    BodyConverter(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    /** The Jackson type of a parameter, resolved once per listener method. */
    JavaType typeOf(Type parameterType) {
        return mapper.getTypeFactory().constructType(parameterType);
    }

    /**
     * {@code body} as {@code type}: itself when it already is one (and for {@code Object}), else Jackson's conversion.
     *
     * @throws DecodeException naming the type when the body does not fit it
     */
    @Nullable Object convert(@Nullable Object body, JavaType type) {
        if (body == null) {
            if (type.isPrimitive()) {
                throw new DecodeException("message body is null, which a parameter of type " + type.toCanonical()
                        + " cannot take", null);
            }
            return null;
        }
        if (!type.isContainerType() && type.getRawClass().isInstance(body)) {
            return body;
        }
        try {
            return mapper.convertValue(body, type);
        } catch (IllegalArgumentException e) {
            throw new DecodeException("cannot convert message body (a " + body.getClass().getSimpleName() + ") to "
                    + type.toCanonical() + ": " + e.getMessage(), e);
        }
    }
}
