package org.kombu4j.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Reading dates, times, UUIDs and decimals into typed fields from whatever form a peer sent: a Kombu 5.3+ type tag, a
 * plain string (Kombu 5.2, or any Python code that put {@code isoformat()} or {@code str()} in the body), or the Java
 * value a decoded body already holds. A date-time string without an offset (Python's naive datetimes) is read as UTC
 * where an instant is wanted, as Celery and Kombu treat them.
 *
 * <p>{@link #reading()} is the deserializers, for the connection's mappers; {@link #embedding()} passes those Java
 * values through a conversion untouched ({@code convertValue} otherwise writes them as text or tags first).
 */
final class TypedValues {
    /** The types read leniently. */
    static final List<Class<?>> TYPES = List.of(Instant.class, OffsetDateTime.class, ZonedDateTime.class,
            LocalDateTime.class, LocalDate.class, LocalTime.class, OffsetTime.class, UUID.class, BigDecimal.class);

    private TypedValues() {
    }

    static SimpleModule reading() {
        SimpleModule m = new SimpleModule("kombu4j-typed-reading");
        for (Class<?> type : TYPES) {
            addReader(m, type);
        }
        return m;
    }

    private static <T> void addReader(SimpleModule m, Class<T> type) {
        m.addDeserializer(type, new Lenient<>(type));
    }

    static SimpleModule embedding() {
        SimpleModule m = new SimpleModule("kombu4j-typed-embedding");
        for (Class<?> type : TYPES) {
            if (type != BigDecimal.class) { // a number already, which every reader takes
                m.addSerializer(new Embedded<>(type));
            }
        }
        return m;
    }

    private static final class Embedded<T> extends StdSerializer<T> {
        private static final long serialVersionUID = 1L;

        Embedded(Class<T> type) {
            super(type);
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeEmbeddedObject(value);
        }
    }

    private static final class Lenient<T> extends StdScalarDeserializer<T> {
        private static final long serialVersionUID = 1L;

        Lenient(Class<T> type) {
            super(type);
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            Object source;
            if (t == JsonToken.VALUE_STRING) {
                source = p.getText();
            } else if (t == JsonToken.VALUE_EMBEDDED_OBJECT) {
                source = p.getEmbeddedObject();
            } else if (t == JsonToken.START_OBJECT || t == JsonToken.FIELD_NAME) {
                Map<?, ?> map = ctxt.readValue(p, Map.class);
                if (map.size() != 2 || !map.containsKey(JsonTypeTags.TYPE) || !map.containsKey(JsonTypeTags.VALUE)) {
                    throw InvalidFormatException.from(p, "expected a " + handledType().getSimpleName()
                            + " as a string or a Kombu type tag, got the object " + map, map, handledType());
                }
                try {
                    source = JsonTypeTags.decodeTag(map.get(JsonTypeTags.TYPE), map.get(JsonTypeTags.VALUE));
                } catch (JsonTypeTags.BadTagException e) {
                    throw InvalidFormatException.from(p, e.getMessage(), map, handledType());
                }
            } else if (handledType() == BigDecimal.class && t != null && t.isNumeric()) {
                source = p.getDecimalValue();
            } else {
                @SuppressWarnings("unchecked")
                T handled = (T) ctxt.handleUnexpectedToken(handledType(), p);
                return handled;
            }
            try {
                return handledType().cast(convert(source, handledType()));
            } catch (DateTimeException | IllegalArgumentException | JsonTypeTags.BadTagException e) {
                throw InvalidFormatException.from(p, "cannot read " + source + " as " + handledType().getSimpleName()
                        + ": " + e.getMessage(), source, handledType());
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public Class<T> handledType() {
            return (Class<T>) super.handledType();
        }
    }

    /**
     * {@code source} (a String, a tag's Java value, or a Java value) as {@code target}, one of {@link #TYPES}.
     *
     * @throws IllegalArgumentException naming what did not fit
     * @throws DateTimeException for a malformed date or time
     */
    static Object convert(@Nullable Object source, Class<?> target) {
        if (source == null) {
            throw new IllegalArgumentException("null");
        }
        if (target.isInstance(source)) {
            return source;
        }
        if (target == UUID.class) {
            if (source instanceof String s) {
                return JsonTypeTags.hexUuid(s);
            }
            if (source instanceof byte[] b && b.length == 16) { // Jackson's binary form of a UUID
                return fromBytes(b);
            }
        } else if (target == BigDecimal.class) {
            if (source instanceof String s) {
                return new BigDecimal(s.strip());
            }
            if (source instanceof BigInteger i) {
                return new BigDecimal(i);
            }
            if (source instanceof Long || source instanceof Integer || source instanceof Short) {
                return BigDecimal.valueOf(((Number) source).longValue());
            }
            if (source instanceof Double || source instanceof Float) {
                return new BigDecimal(source.toString());
            }
        } else if (target == LocalTime.class || target == OffsetTime.class) {
            Object time = source instanceof String s ? PythonIsoFormat.parseTime(s) : source;
            if (time instanceof OffsetTime o) {
                return target == LocalTime.class ? o.toLocalTime() : o;
            }
            if (time instanceof LocalTime l) {
                return target == LocalTime.class ? l : l.atOffset(ZoneOffset.UTC);
            }
        } else if (target == LocalDate.class && source instanceof String s) {
            return PythonIsoFormat.parseDate(s);
        } else {
            Object dt = dateTime(source);
            if (dt instanceof OffsetDateTime o) {
                return target == Instant.class ? o.toInstant()
                        : target == OffsetDateTime.class ? o
                        : target == ZonedDateTime.class ? o.toZonedDateTime()
                        : target == LocalDateTime.class ? o.toLocalDateTime()
                        : o.toLocalDate();
            }
            if (dt instanceof LocalDateTime l) {
                return target == Instant.class ? l.toInstant(ZoneOffset.UTC)
                        : target == OffsetDateTime.class ? l.atOffset(ZoneOffset.UTC)
                        : target == ZonedDateTime.class ? l.atZone(ZoneOffset.UTC)
                        : target == LocalDateTime.class ? l
                        : l.toLocalDate();
            }
        }
        throw new IllegalArgumentException("a " + source.getClass().getSimpleName() + " does not convert to "
                + target.getSimpleName());
    }

    /** An OffsetDateTime or LocalDateTime for any date-time form, or null. */
    private static @Nullable Object dateTime(Object source) {
        if (source instanceof String s) {
            return PythonIsoFormat.parseDateTime(s);
        }
        if (source instanceof OffsetDateTime || source instanceof LocalDateTime) {
            return source;
        }
        if (source instanceof ZonedDateTime z) {
            return z.toOffsetDateTime();
        }
        if (source instanceof Instant i) {
            return i.atOffset(ZoneOffset.UTC);
        }
        if (source instanceof Date d) {
            return d.toInstant().atOffset(ZoneOffset.UTC);
        }
        if (source instanceof LocalDate d) {
            return d.atStartOfDay();
        }
        return null;
    }

    private static UUID fromBytes(byte[] b) {
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = (msb << 8) | (b[i] & 0xff);
            lsb = (lsb << 8) | (b[i + 8] & 0xff);
        }
        return new UUID(msb, lsb);
    }
}
