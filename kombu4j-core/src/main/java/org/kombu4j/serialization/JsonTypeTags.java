package org.kombu4j.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Kombu 5.3+'s JSON type tags (WIRE.md §8, {@code kombu/utils/json.py}): objects with exactly the keys
 * {@code __type__} and {@code __value__}. Encoding is a Jackson module; decoding walks the parsed tree bottom-up
 * as Python's {@code object_hook} does. Only the tags Kombu knows are ever written, since Kombu raises on others.
 */
final class JsonTypeTags {
    static final String TYPE = "__type__";
    static final String VALUE = "__value__";

    private JsonTypeTags() {
    }

    /** Thrown by {@link #untag} for a value Kombu would reject; the caller turns it into a DecodeException. */
    static final class BadTagException extends RuntimeException {

        BadTagException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }
    }

    static SimpleModule module() {
        SimpleModule m = new SimpleModule("kombu-json-type-tags");
        m.addSerializer(new Tag<>(OffsetDateTime.class, "datetime", PythonIsoFormat::dateTime));
        m.addSerializer(new Tag<>(ZonedDateTime.class, "datetime",
                z -> PythonIsoFormat.dateTime(z.toOffsetDateTime())));
        m.addSerializer(new Tag<>(Instant.class, "datetime",
                i -> PythonIsoFormat.dateTime(i.atOffset(ZoneOffset.UTC))));
        m.addSerializer(new Tag<>(Date.class, "datetime",
                d -> PythonIsoFormat.dateTime(d.toInstant().atOffset(ZoneOffset.UTC))));
        m.addSerializer(new Tag<>(LocalDateTime.class, "datetime", PythonIsoFormat::dateTime));
        m.addSerializer(new Tag<>(LocalDate.class, "date", PythonIsoFormat::date));
        m.addSerializer(new Tag<>(LocalTime.class, "time", PythonIsoFormat::time));
        m.addSerializer(new Tag<>(OffsetTime.class, "time", PythonIsoFormat::time));
        m.addSerializer(new Tag<>(BigDecimal.class, "decimal", BigDecimal::toPlainString));
        // WIRE.md §8 captured {"hex": ...} without "version"; Kombu decodes it with uuid.UUID(**value).
        m.addSerializer(new Tag<>(UUID.class, "uuid", u -> Map.of("hex", u.toString().replace("-", ""))));
        m.addSerializer(new BytesTag());
        return m;
    }

    private static final class Tag<T> extends StdSerializer<T> {
        private final String marker;
        private final Function<T, Object> encoder;

        Tag(Class<T> type, String marker, Function<T, Object> encoder) {
            super(type);
            this.marker = marker;
            this.encoder = encoder;
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            Object encoded = encoder.apply(value);
            gen.writeStartObject();
            gen.writeStringField(TYPE, marker);
            gen.writeFieldName(VALUE);
            provider.defaultSerializeValue(encoded, gen);
            gen.writeEndObject();
        }
    }

    /** Python's JSONEncoder writes bytes as text when they are valid UTF-8, else as base64. */
    private static final class BytesTag extends StdSerializer<byte[]> {

        BytesTag() {
            super(byte[].class);
        }

        @Override
        public void serialize(byte[] value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeStartObject();
            String text = strictUtf8(value);
            if (text != null) {
                gen.writeStringField(TYPE, "bytes");
                gen.writeStringField(VALUE, text);
            } else {
                gen.writeStringField(TYPE, "base64");
                gen.writeStringField(VALUE, Base64.getEncoder().encodeToString(value));
            }
            gen.writeEndObject();
        }
    }

    static @Nullable String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Replaces every tagged object in a tree of maps and lists, innermost first like Python's object_hook.
     * Maps and lists are modified in place.
     */
    @SuppressWarnings("unchecked")
    static @Nullable Object untag(@Nullable Object node) {
        if (node instanceof Map<?, ?> raw) {
            Map<String, @Nullable Object> map = (Map<String, @Nullable Object>) raw;
            for (Map.Entry<String, @Nullable Object> e : map.entrySet()) {
                e.setValue(untag(e.getValue()));
            }
            if (map.size() == 2 && map.containsKey(TYPE) && map.containsKey(VALUE)) {
                return decodeTag(map.get(TYPE), map.get(VALUE));
            }
            return map;
        }
        if (node instanceof List<?> raw) {
            List<@Nullable Object> list = (List<@Nullable Object>) raw;
            for (int i = 0; i < list.size(); i++) {
                list.set(i, untag(list.get(i)));
            }
            return list;
        }
        return node;
    }

    static Object decodeTag(@Nullable Object type, @Nullable Object value) {
        if (!(type instanceof String marker)) {
            throw new BadTagException("unsupported __type__ " + type, null);
        }
        try {
            switch (marker) {
                case "datetime":
                    return PythonIsoFormat.parseDateTime(text(marker, value));
                case "date":
                    return PythonIsoFormat.parseDate(text(marker, value));
                case "time":
                    return PythonIsoFormat.parseTime(text(marker, value));
                case "decimal":
                    return new BigDecimal(text(marker, value).strip());
                case "uuid":
                    return uuid(value);
                case "bytes":
                    return text(marker, value).getBytes(StandardCharsets.UTF_8);
                case "base64":
                    // Python's b64decode skips characters outside the alphabet, as the MIME decoder does.
                    return Base64.getMimeDecoder().decode(text(marker, value));
                default:
                    throw new BadTagException("unsupported __type__ '" + marker + "'", null);
            }
        } catch (DateTimeException | IllegalArgumentException e) {
            throw new BadTagException("invalid __value__ for __type__ '" + marker + "': " + e.getMessage(), e);
        }
    }

    private static String text(String marker, @Nullable Object value) {
        if (value instanceof String s) {
            return s;
        }
        throw new BadTagException("__value__ for __type__ '" + marker + "' must be a string, got " + value, null);
    }

    /** Python's uuid.UUID(hex=..., version=...): a version also forces the RFC 4122 variant bits. */
    private static UUID uuid(@Nullable Object value) {
        if (!(value instanceof Map<?, ?> args) || !(args.get("hex") instanceof String hexArg)
                || !List.of("hex", "version").containsAll(args.keySet())) {
            throw new BadTagException("__value__ for __type__ 'uuid' must be {\"hex\": ...}, got " + value, null);
        }
        UUID plain = hexUuid(hexArg);
        long msb = plain.getMostSignificantBits();
        long lsb = plain.getLeastSignificantBits();
        Object version = args.get("version");
        if (version != null) {
            if (!(version instanceof Integer v) || v < 1 || v > 8) {
                throw new BadTagException("illegal UUID version number " + version, null);
            }
            lsb = (lsb & ~(0xC000L << 48)) | (0x8000L << 48);
            msb = (msb & ~0xF000L) | ((long) v << 12);
        }
        return new UUID(msb, lsb);
    }

    /**
     * Python's {@code uuid.UUID(hex)}: 32 hex digits, hyphens, braces and a {@code urn:uuid:} prefix allowed.
     *
     * @throws BadTagException for anything else
     */
    static UUID hexUuid(String text) {
        String hex = text.replace("urn:", "").replace("uuid:", "").strip();
        if (hex.startsWith("{") && hex.endsWith("}")) {
            hex = hex.substring(1, hex.length() - 1);
        }
        hex = hex.replace("-", "").toLowerCase(Locale.ROOT);
        if (hex.length() != 32) {
            throw new BadTagException("badly formed hexadecimal UUID string '" + text + "'", null);
        }
        try {
            return new UUID(HexFormat.fromHexDigitsToLong(hex, 0, 16), HexFormat.fromHexDigitsToLong(hex, 16, 32));
        } catch (IllegalArgumentException e) {
            throw new BadTagException("badly formed hexadecimal UUID string '" + text + "'", e);
        }
    }
}
