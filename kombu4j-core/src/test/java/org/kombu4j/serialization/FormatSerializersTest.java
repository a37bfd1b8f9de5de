package org.kombu4j.serialization;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

/** Round trips for text, raw, msgpack and yaml. */
class FormatSerializersTest {
    private static Map<String, Object> sample() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("s", "héllo ✓ 𝄞");
        body.put("i", -7);
        body.put("l", 1L << 40);
        body.put("d", 0.5);
        body.put("b", false);
        body.put("n", null);
        body.put("list", Arrays.asList(1, "x", null, List.of(List.of()), Map.of("k", "v")));
        body.put("empty", Map.of());
        return body;
    }

    @Test
    void textRoundTripsStringsOnly() {
        TextSerializer text = new TextSerializer();
        assertThat(text.contentType()).isEqualTo("text/plain");
        assertThat(text.decode(text.encode("héllo ✓"))).isEqualTo("héllo ✓");
        assertThat(text.decode(text.encode(""))).isEqualTo("");
        assertThat(text.decode(text.encode(new StringBuilder("sb")))).isEqualTo("sb");
        assertThatThrownBy(() -> text.encode(1)).isInstanceOf(EncodeException.class).hasMessageContaining("json");
        assertThatThrownBy(() -> text.decode(new byte[] {(byte) 0xc3})).isInstanceOf(DecodeException.class);
    }

    @Test
    void rawPassesBytesThrough() {
        RawSerializer raw = new RawSerializer();
        assertThat(raw.contentType()).isEqualTo("application/data");
        assertThat(raw.contentEncoding()).isEqualTo("binary");
        byte[] bytes = {0, (byte) 0xff, 3};
        assertThat(raw.decode(raw.encode(bytes))).isEqualTo(bytes);
        assertThat(raw.encode("é")).isEqualTo("é".getBytes(UTF_8));
        assertThat(raw.decode(raw.encode(new byte[0]))).isEmpty();
        assertThatThrownBy(() -> raw.encode(1)).isInstanceOf(EncodeException.class);
    }

    @Test
    void msgpackRoundTripsAndKeepsStrAndBinApart() {
        MsgpackSerializer msgpack = new MsgpackSerializer();
        assertThat(msgpack.contentType()).isEqualTo("application/x-msgpack");
        assertThat(msgpack.contentEncoding()).isEqualTo("binary");
        assertThat(msgpack.decode(msgpack.encode(sample()))).isEqualTo(sample());
        assertThat(msgpack.decode(msgpack.encode(Map.of()))).isEqualTo(Map.of());
        assertThat(msgpack.decode(msgpack.encode(""))).isEqualTo("");
        // Python: msgpack.packb({"s": "a", "b": b"\x01"}, use_bin_type=True)
        byte[] python = {(byte) 0x82, (byte) 0xa1, 's', (byte) 0xa1, 'a', (byte) 0xa1, 'b', (byte) 0xc4, 1, 1};
        Object decoded = msgpack.decode(python);
        assertThat(decoded).isInstanceOf(Map.class);
        assertThat(((Map<?, ?>) decoded).get("s")).isEqualTo("a");
        assertThat((byte[]) ((Map<?, ?>) decoded).get("b")).containsExactly(1);
        Map<String, Object> withBytes = new LinkedHashMap<>();
        withBytes.put("s", "a");
        withBytes.put("b", new byte[] {1});
        assertThat(msgpack.encode(withBytes)).isEqualTo(python);
        assertThatThrownBy(() -> msgpack.decode(new byte[] {(byte) 0x92, 1})).isInstanceOf(DecodeException.class);
    }

    @Test
    void yamlRoundTrips() {
        YamlSerializer yaml = new YamlSerializer();
        assertThat(yaml.contentType()).isEqualTo("application/x-yaml");
        assertThat(yaml.contentEncoding()).isEqualTo("utf-8");
        assertThat(yaml.decode(yaml.encode(sample()))).isEqualTo(sample());
        assertThat(yaml.decode(yaml.encode(Map.of()))).isEqualTo(Map.of());
        assertThat(new String(yaml.encode(Map.of("a", 1)), UTF_8)).isEqualTo("a: 1\n");
        // What Python's yaml.safe_dump({"a": [1, 2], "b": "c"}) writes.
        assertThat(yaml.decode("a:\n- 1\n- 2\nb: c\n".getBytes(UTF_8)))
                .isEqualTo(Map.of("a", List.of(1, 2), "b", "c"));
        assertThatThrownBy(() -> yaml.decode("a: [1, 2".getBytes(UTF_8))).isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> yaml.encode(LocalDate.of(2024, 1, 2))).isInstanceOf(EncodeException.class);
    }

    @Test
    void yamlFloatsAreWrittenAsPyYamlReadsThem() {
        YamlSerializer yaml = new YamlSerializer();
        Map<String, Object> floats = new LinkedHashMap<>();
        floats.put("big", 1e100);
        floats.put("small", 2.5e-7);
        floats.put("plain", -0.5);
        floats.put("f", 1.5f);
        floats.put("dec", new java.math.BigDecimal("1E+3"));
        floats.put("inf", Double.POSITIVE_INFINITY);
        floats.put("ninf", Double.NEGATIVE_INFINITY);
        floats.put("nan", Double.NaN);
        // Floats yaml.safe_load reads back as floats (safe_dump writes 2.5e-07; both forms resolve);
        // "1.0E100" would be the string '1.0E100' to PyYAML.
        assertThat(new String(yaml.encode(floats), UTF_8)).isEqualTo(
                "big: 1.0e+100\nsmall: 2.5e-7\nplain: -0.5\nf: 1.5\ndec: 1000.0\ninf: .inf\nninf: -.inf\nnan: .nan\n");
        assertThat(yaml.decode(yaml.encode(floats))).isEqualTo(Map.of("big", 1e100, "small", 2.5e-7, "plain", -0.5,
                "f", 1.5, "dec", 1000.0, "inf", Double.POSITIVE_INFINITY, "ninf", Double.NEGATIVE_INFINITY, "nan", Double.NaN));
        // What yaml.safe_dump({"f": 1e100, "inf": float("inf"), "n": float("nan"), "s": "on"}) writes.
        assertThat(yaml.decode("f: 1.0e+100\ninf: .inf\nn: .nan\nm: -.inf\ns: 'on'\nl:\n- .inf\n".getBytes(UTF_8)))
                .isEqualTo(Map.of("f", 1e100, "inf", Double.POSITIVE_INFINITY, "n", Double.NaN, "m", Double.NEGATIVE_INFINITY,
                        "s", "on", "l", List.of(Double.POSITIVE_INFINITY)));
    }

    @Test
    void yamlNeverInstantiatesTaggedClasses() {
        YamlSerializer yaml = new YamlSerializer();
        Object decoded = yaml.decode("x: !!java.io.File [\"/tmp\"]\ny: !!python/object/apply:os.system [\"id\"]\n"
                .getBytes(UTF_8));
        assertThat(decoded).isInstanceOf(Map.class);
        assertThat(((Map<?, ?>) decoded).values()).allSatisfy(v -> assertThat(v).isInstanceOf(List.class));
    }
}
