package org.kombu4j.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Date;
import java.util.UUID;
import java.util.function.Function;
import org.kombu4j.EncodeException;

/**
 * Kombu 5.2's plain forms of the types JSON lacks ({@code kombu/utils/json.py} at v5.2.4, {@code JSONEncoder.default}):
 * a datetime is {@code isoformat()} with a final {@code +00:00} written {@code Z}, a date becomes that day's midnight
 * datetime, a time is {@code isoformat()}, Decimal and UUID are {@code str()}. It had no form for bytes (Python's
 * encoder raised), so a {@code byte[]} is refused when {@code refuseBytes}; msgpack, which has bytes, keeps them.
 */
final class JsonPlainForms {
    private JsonPlainForms() {
    }

    static SimpleModule module(boolean refuseBytes) {
        SimpleModule m = new SimpleModule("kombu4j-plain-forms");
        m.addSerializer(new AsText<>(OffsetDateTime.class, JsonPlainForms::dateTime));
        m.addSerializer(new AsText<>(ZonedDateTime.class, z -> dateTime(z.toOffsetDateTime())));
        m.addSerializer(new AsText<>(Instant.class, i -> dateTime(i.atOffset(ZoneOffset.UTC))));
        m.addSerializer(new AsText<>(Date.class, d -> dateTime(d.toInstant().atOffset(ZoneOffset.UTC))));
        m.addSerializer(new AsText<>(LocalDateTime.class, PythonIsoFormat::dateTime));
        m.addSerializer(new AsText<>(LocalDate.class, d -> PythonIsoFormat.dateTime(d.atStartOfDay())));
        m.addSerializer(new AsText<>(LocalTime.class, PythonIsoFormat::time));
        m.addSerializer(new AsText<>(OffsetTime.class, PythonIsoFormat::time));
        // str(Decimal) and BigDecimal.toString() follow the same spec: "1.10", "1E+10", "1E-7".
        m.addSerializer(new AsText<>(BigDecimal.class, BigDecimal::toString));
        m.addSerializer(new AsText<>(UUID.class, UUID::toString));
        if (refuseBytes) {
            m.addSerializer(new AsText<>(byte[].class, b -> {
                throw new EncodeException("cannot encode byte[] as json in json_mode kombu52: Kombu 5.2's JSON has no"
                        + " form for bytes; send them as a base64 String, use the msgpack serializer, or json_mode"
                        + " kombu53", null);
            }));
        }
        return m;
    }

    private static String dateTime(OffsetDateTime dt) {
        String s = PythonIsoFormat.dateTime(dt);
        return s.endsWith("+00:00") ? s.substring(0, s.length() - 6) + "Z" : s;
    }

    private static final class AsText<T> extends StdSerializer<T> {
        private static final long serialVersionUID = 1L;
        private final transient Function<T, String> encoder;

        AsText(Class<T> type, Function<T, String> encoder) {
            super(type);
            this.encoder = encoder;
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(encoder.apply(value));
        }
    }
}
