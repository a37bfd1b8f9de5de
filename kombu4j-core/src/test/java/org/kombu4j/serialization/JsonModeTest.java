package org.kombu4j.serialization;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JavaType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.DecodeException;

/** Kombu 5.2's plain forms, and the typed readers that take plain strings, tags and Java values alike. */
class JsonModeTest {
    private final Serializers plain = Serializers.defaults(null, JsonMode.KOMBU52);

    @Test
    void kombu52FormsAreWhatItsJsonEncoderWrites() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instant", Instant.parse("2024-01-02T03:04:05Z"));
        body.put("zoned", ZonedDateTime.of(2024, 7, 1, 12, 0, 0, 1_500, ZoneId.of("Europe/Paris")));
        body.put("date", Date.from(Instant.parse("2024-01-02T03:04:05.123Z")));
        body.put("offset", OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHoursMinutes(-5, -30)));
        body.put("day", LocalDate.of(2024, 1, 2));
        body.put("time", LocalTime.of(3, 4, 5, 600_000));
        body.put("otime", OffsetTime.of(3, 4, 5, 0, ZoneOffset.UTC));
        body.put("dec", new BigDecimal("1E+10"));
        body.put("small", new BigDecimal("0.0000001"));
        body.put("uuid", UUID.fromString("12345678-1234-5678-1234-567812345678"));
        assertThat(new String(plain.encode(body, "json").body(), UTF_8)).isEqualTo("{\"instant\":\"2024-01-02T03:04:05Z\","
                + "\"zoned\":\"2024-07-01T12:00:00.000001+02:00\",\"date\":\"2024-01-02T03:04:05.123000Z\","
                + "\"offset\":\"2024-01-02T03:04:05-05:30\",\"day\":\"2024-01-02T00:00:00\",\"time\":\"03:04:05.000600\","
                + "\"otime\":\"03:04:05+00:00\",\"dec\":\"1E+10\",\"small\":\"1E-7\","
                + "\"uuid\":\"12345678-1234-5678-1234-567812345678\"}");
        assertThat(plain.jsonMode()).isEqualTo(JsonMode.KOMBU52);
        assertThat(Serializers.defaults().jsonMode()).isEqualTo(JsonMode.KOMBU53);
    }

    private Object convert(Object value, Class<?> type) {
        JavaType t = plain.javaType(type);
        return plain.convert(value, t);
    }

    @Test
    void typedReadersTakeStringsTagsAndJavaValues() {
        Instant i = Instant.parse("2024-01-02T03:04:05.678901Z");
        for (Object form : new Object[] {"2024-01-02T03:04:05.678901Z", "2024-01-02T03:04:05.678901+00:00",
                "2024-01-02 03:04:05.678901", "2024-01-02T05:04:05.678901+02:00", i.atOffset(ZoneOffset.UTC),
                LocalDateTime.ofInstant(i, ZoneOffset.UTC)}) {
            Map<?, ?> typed = (Map<?, ?>) plain.convert(Map.of("v", form),
                    plain.javaType(new com.fasterxml.jackson.core.type.TypeReference<Map<String, Instant>>() { }.getType()));
            assertThat(typed.get("v")).as("%s", form).isEqualTo(i);
        }
        assertThat(convert("2024-01-02T00:00:00", LocalDate.class)).isEqualTo(LocalDate.of(2024, 1, 2));
        assertThat(convert("2024-01-02T03:04:05+02:00", LocalDateTime.class)).isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5));
        assertThat(convert("2024-01-02T03:04:05", OffsetDateTime.class))
                .isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC));
        assertThat(convert("03:04:05.000600", LocalTime.class)).isEqualTo(LocalTime.of(3, 4, 5, 600_000));
        assertThat(convert("03:04:05+01:00", OffsetTime.class)).isEqualTo(OffsetTime.of(3, 4, 5, 0, ZoneOffset.ofHours(1)));
        assertThat(convert("12345678123456781234567812345678", UUID.class))
                .isEqualTo(UUID.fromString("12345678-1234-5678-1234-567812345678"));
        assertThat(convert("1.10", BigDecimal.class)).isEqualTo(new BigDecimal("1.10"));
        assertThat(convert(Map.of("p", 2.5), Price.class)).isEqualTo(new Price(new BigDecimal("2.5")));
        // A tag that reached a typed reader as a map (a body decoded without tags, e.g. by another library).
        Map<String, Object> tag = new LinkedHashMap<>();
        tag.put("__type__", "datetime");
        tag.put("__value__", "2024-01-02T03:04:05+00:00");
        assertThat(convert(Map.of("at", tag), When.class)).isEqualTo(new When(Instant.parse("2024-01-02T03:04:05Z")));
    }

    record Price(BigDecimal p) {
    }

    record When(Instant at) {
    }

    @Test
    void whatDoesNotFitIsADecodeExceptionNamingTheTypeAndValue() {
        assertThatThrownBy(() -> convert(Map.of("at", "yesterday"), When.class)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("cannot decode the body as " + When.class.getName())
                .hasMessageContaining("yesterday");
        assertThatThrownBy(() -> convert(Map.of("at", Map.of("__type__", "nope", "__value__", "x")), When.class))
                .isInstanceOf(DecodeException.class).hasMessageContaining("unsupported __type__ 'nope'");
        assertThatThrownBy(() -> convert(Map.of("at", 12), When.class)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("Instant");
        assertThatThrownBy(() -> JsonMode.parse("5.2")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("kombu52");
    }
}
