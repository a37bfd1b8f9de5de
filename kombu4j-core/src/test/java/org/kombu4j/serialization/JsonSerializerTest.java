package org.kombu4j.serialization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

class JsonSerializerTest {
    private final JsonSerializer json = new JsonSerializer();

    private String encode(Object body) {
        return new String(json.encode(body), StandardCharsets.UTF_8);
    }

    private Object decode(String text) {
        return json.decode(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void describesItself() {
        assertThat(json.name()).isEqualTo("json");
        assertThat(json.contentType()).isEqualTo("application/json");
        assertThat(json.contentEncoding()).isEqualTo("utf-8");
    }

    @Test
    void roundTripsNestedStructuresAndUnicode() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("s", "héllo ✓ 𝄞");
        body.put("i", 1);
        body.put("l", 1L << 40);
        body.put("big", BigInteger.TWO.pow(70));
        body.put("d", 2.5);
        body.put("t", true);
        body.put("n", null);
        body.put("list", new ArrayList<>(Arrays.asList(1, "two", null, List.of(), Map.of())));
        body.put("map", new LinkedHashMap<>(Map.of("x", new ArrayList<>(List.of(Map.of("y", "z"))))));
        Object back = json.decode(json.encode(body));
        assertThat(back).isInstanceOf(LinkedHashMap.class).isEqualTo(body);
        assertThat(((Map<?, ?>) back).get("list")).isInstanceOf(ArrayList.class);
        assertThat(((Map<?, ?>) back).get("l")).isInstanceOf(Long.class);
        assertThat(((Map<?, ?>) back).get("big")).isInstanceOf(BigInteger.class);
        assertThat(encode(body)).startsWith("{\"s\":\"héllo ✓ 𝄞\",\"i\":1,");
    }

    @Test
    void roundTripsEmptyAndScalars() {
        assertThat(json.decode(json.encode(Map.of()))).isEqualTo(Map.of());
        assertThat(json.decode(json.encode(List.of()))).isEqualTo(List.of());
        assertThat(json.decode(json.encode(""))).isEqualTo("");
        assertThat(encode(null)).isEqualTo("null");
        assertThat(json.decode(json.encode(null))).isNull();
    }

    @Test
    void readsAndWritesPythonNanAndInfinity() {
        assertThat(encode(List.of(Double.NaN, Double.POSITIVE_INFINITY))).isEqualTo("[NaN,Infinity]");
        assertThat(decode("[NaN, -Infinity]")).isEqualTo(List.of(Double.NaN, Double.NEGATIVE_INFINITY));
    }

    @Test
    void encodesPojosAsJacksonWould() {
        record Point(int x, String label) {
        }
        assertThat(encode(new Point(1, "a"))).isEqualTo("{\"x\":1,\"label\":\"a\"}");
    }

    @Test
    void writesTypeTagsExactly() {
        assertThat(encode(new BigDecimal("1.10")))
                .isEqualTo("{\"__type__\":\"decimal\",\"__value__\":\"1.10\"}");
        assertThat(encode(LocalDate.of(2024, 1, 2)))
                .isEqualTo("{\"__type__\":\"date\",\"__value__\":\"2024-01-02\"}");
        assertThat(encode(LocalTime.of(3, 4, 5)))
                .isEqualTo("{\"__type__\":\"time\",\"__value__\":\"03:04:05\"}");
        assertThat(encode(LocalTime.of(3, 4, 0, 678_901_999)))
                .isEqualTo("{\"__type__\":\"time\",\"__value__\":\"03:04:00.678901\"}");
        assertThat(encode(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 678_901_000, ZoneOffset.UTC)))
                .isEqualTo("{\"__type__\":\"datetime\",\"__value__\":\"2024-01-02T03:04:05.678901+00:00\"}");
        assertThat(encode(LocalDateTime.of(2024, 1, 2, 3, 4, 5)))
                .isEqualTo("{\"__type__\":\"datetime\",\"__value__\":\"2024-01-02T03:04:05\"}");
        assertThat(encode(UUID.fromString("12345678-1234-5678-1234-567812345678")))
                .isEqualTo("{\"__type__\":\"uuid\",\"__value__\":{\"hex\":\"12345678123456781234567812345678\"}}");
        assertThat(encode("abc".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("{\"__type__\":\"bytes\",\"__value__\":\"abc\"}");
        assertThat(encode(new byte[] {(byte) 0xff, 0}))
                .isEqualTo("{\"__type__\":\"base64\",\"__value__\":\"/wA=\"}");
    }

    @Test
    void writesOtherDateTimeKindsWithPythonOffsets() {
        assertThat(encode(Instant.parse("2024-01-02T03:04:05Z")))
                .contains("\"2024-01-02T03:04:05+00:00\"");
        ZonedDateTime z = ZonedDateTime.of(2024, 7, 1, 12, 0, 0, 0, ZoneId.of("Asia/Kolkata"));
        assertThat(encode(z)).contains("\"2024-07-01T12:00:00+05:30\"");
        assertThat(encode(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHoursMinutes(-3, -30))))
                .contains("\"2024-01-02T03:04:05-03:30\"");
        assertThat(encode(OffsetTime.of(3, 4, 5, 0, ZoneOffset.UTC)))
                .isEqualTo("{\"__type__\":\"time\",\"__value__\":\"03:04:05+00:00\"}");
    }

    @Test
    void tagsNestedValuesInsideMapsAndLists() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("when", LocalDate.of(2024, 1, 2));
        body.put("amounts", List.of(new BigDecimal("0.1"), new BigDecimal("-2E+3")));
        assertThat(encode(body)).isEqualTo("{\"when\":{\"__type__\":\"date\",\"__value__\":\"2024-01-02\"},"
                + "\"amounts\":[{\"__type__\":\"decimal\",\"__value__\":\"0.1\"},"
                + "{\"__type__\":\"decimal\",\"__value__\":\"-2000\"}]}");
        assertThat(json.decode(json.encode(body))).isEqualTo(Map.of("when", LocalDate.of(2024, 1, 2),
                "amounts", List.of(new BigDecimal("0.1"), new BigDecimal("-2000"))));
    }

    @Test
    void everyTagRoundTrips() {
        List<Object> values = List.of(
                OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 678_901_000, ZoneOffset.UTC),
                OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHoursMinutesSeconds(5, 30, 15)),
                LocalDateTime.of(2024, 1, 2, 3, 4, 5, 1000),
                LocalDate.of(1, 1, 1),
                LocalTime.of(23, 59, 59, 999_999_000),
                OffsetTime.of(1, 2, 3, 0, ZoneOffset.ofHours(2)),
                new BigDecimal("1.10"),
                UUID.randomUUID());
        for (Object v : values) {
            assertThat(json.decode(json.encode(v))).as("%s", v).isEqualTo(v);
        }
        byte[] utf8 = "héllo".getBytes(StandardCharsets.UTF_8);
        assertThat((byte[]) json.decode(json.encode(utf8))).isEqualTo(utf8);
        byte[] binary = {(byte) 0xff, 0, (byte) 0x80, 1};
        assertThat((byte[]) json.decode(json.encode(binary))).isEqualTo(binary);
    }

    @Test
    void decodesKombuTagsFromWireMd() {
        assertThat(decode("{\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05.678901+00:00\"}"))
                .isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 678_901_000, ZoneOffset.UTC));
        assertThat(decode("{\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05\"}"))
                .isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5));
        assertThat(decode("{\"__value__\": \"2024-01-02\", \"__type__\": \"date\"}"))
                .isEqualTo(LocalDate.of(2024, 1, 2));
        assertThat(decode("{\"__type__\": \"time\", \"__value__\": \"03:04:05\"}"))
                .isEqualTo(LocalTime.of(3, 4, 5));
        assertThat(decode("{\"__type__\": \"decimal\", \"__value__\": \"1.10\"}"))
                .isEqualTo(new BigDecimal("1.10"));
        assertThat(decode("{\"__type__\": \"uuid\", \"__value__\": {\"hex\": \"12345678123456781234567812345678\"}}"))
                .isEqualTo(UUID.fromString("12345678-1234-5678-1234-567812345678"));
        assertThat((byte[]) decode("{\"__type__\": \"bytes\", \"__value__\": \"abc\"}"))
                .isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
        assertThat((byte[]) decode("{\"__type__\": \"base64\", \"__value__\": \"/wA=\"}"))
                .isEqualTo(new byte[] {(byte) 0xff, 0});
    }

    @Test
    void uuidWithVersionSetsVersionAndVariantAsPythonDoes() {
        // uuid.UUID(hex="0"*32, version=4) == UUID('00000000-0000-4000-8000-000000000000')
        assertThat(decode("{\"__type__\": \"uuid\", \"__value__\": {\"hex\": \"" + "0".repeat(32)
                + "\", \"version\": 4}}")).isEqualTo(UUID.fromString("00000000-0000-4000-8000-000000000000"));
    }

    @Test
    void unknownTypeTagIsADecodeError() {
        assertThatThrownBy(() -> decode("{\"__type__\": \"frozenset\", \"__value__\": [1]}"))
                .isInstanceOf(DecodeException.class)
                .hasMessageContaining("application/json")
                .hasMessageContaining("frozenset");
        assertThatThrownBy(() -> decode("{\"__type__\": \"date\", \"__value__\": \"not a date\"}"))
                .isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> decode("{\"__type__\": \"uuid\", \"__value__\": {\"hex\": \"xyz\"}}"))
                .isInstanceOf(DecodeException.class);
    }

    @Test
    void objectsWithOtherKeysAreLeftAlone() {
        Object three = decode("{\"__type__\": \"date\", \"__value__\": \"2024-01-02\", \"extra\": 1}");
        assertThat(three).isEqualTo(Map.of("__type__", "date", "__value__", "2024-01-02", "extra", 1));
        assertThat(decode("{\"__type__\": \"nope\"}")).isEqualTo(Map.of("__type__", "nope"));
    }

    @Test
    void invalidJsonIsADecodeError() {
        assertThatThrownBy(() -> decode("{\"a\": ")).isInstanceOf(DecodeException.class)
                .hasMessageContaining("application/json");
        assertThatThrownBy(() -> decode("{} {}")).isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> json.decode(new byte[] {(byte) 0xff})).isInstanceOf(DecodeException.class);
    }

    @Test
    void unencodableValuesAreEncodeErrors() {
        assertThatThrownBy(() -> json.encode(new Object())).isInstanceOf(EncodeException.class)
                .hasMessageContaining("java.lang.Object");
        assertThatThrownBy(() -> json.encode(LocalDate.of(10_000, 1, 1))).isInstanceOf(EncodeException.class)
                .hasMessageContaining("9999");
    }
}
