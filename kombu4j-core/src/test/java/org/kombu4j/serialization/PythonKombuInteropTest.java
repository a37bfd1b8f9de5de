package org.kombu4j.serialization;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.kombu4j.compression.Compressor;
import org.kombu4j.compression.Compressors;
import org.kombu4j.testkit.python.PythonKombu;

/** Cross-checks against Python Kombu both ways: Python encodes and Java decodes, then the reverse. */
class PythonKombuInteropTest {
    private static final ObjectMapper LINES = new ObjectMapper();
    private static final List<String> COMPRESSIONS = List.of("zlib", "bzip2", "lzma", "zstd", "brotli");
    private static final byte[] PLAIN = "hello world ".repeat(100).getBytes(UTF_8);
    private static final Duration PYTHON_TIMEOUT = Duration.ofSeconds(60);

    private final Serializers serializers = Serializers.defaults();
    private final Compressors compressors = Compressors.defaults();

    private static final String PYTHON_ENCODES = """
            import base64, json, sys, uuid
            from datetime import date, datetime, time, timezone
            from decimal import Decimal
            import kombu
            from kombu import compression, serialization
            def out(ident, ct, ce, payload, compressed_as=None):
                if isinstance(payload, str):
                    payload = payload.encode(ce)
                print(json.dumps({"id": ident, "ct": ct, "ce": ce, "compression": compressed_as,
                                  "b64": base64.b64encode(payload).decode()}))
            def dump(ident, body, serializer=None):
                ct, ce, payload = serialization.dumps(body, serializer=serializer)
                out(ident, ct, ce, payload)
            dump("json", {"a": 1, "s": "h\\u00e9llo \\u2713", "l": [1, 2.5, None, True], "n": {"x": []},
                          "big": 2 ** 70})
            dump("str", "h\\u00e9llo")
            dump("bytes", b"\\x00\\xff")
            dump("raw_str", "x", "raw")
            dump("msgpack", {"s": "a", "b": b"\\x01", "l": [1, -2, 3.5]}, "msgpack")
            dump("yaml", {"a": [1, 2], "b": "c"}, "yaml")
            if sys.argv[1] == "tags":
                dump("tags", {"dt": datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc),
                              "naive": datetime(2024, 1, 2, 3, 4, 5), "d": date(2024, 1, 2), "t": time(3, 4, 5),
                              "dec": Decimal("1.10"), "u": uuid.UUID("12345678123456781234567812345678"),
                              "b": b"abc", "b64": b"\\xff\\x00"})
            for name in ("zlib", "bzip2", "lzma", "zstd", "brotli"):
                try:
                    body, ct = compression.compress(b"hello world " * 100, name)
                except Exception:
                    continue
                out("c-" + name, "application/data", "binary", body, ct)
            """;

    private static final String PYTHON_DECODES = """
            import base64, json, sys
            from kombu import compression, serialization
            accept = {"application/json", "text/plain", "application/data", "application/x-msgpack",
                      "application/x-yaml"}
            for line in open(sys.argv[1], encoding="utf-8"):
                m = json.loads(line)
                body = base64.b64decode(m["b64"])
                if m.get("compression"):
                    body = compression.decompress(body, m["compression"])
                value = serialization.loads(body, m["ct"], m["ce"], accept=accept)
                print(json.dumps({"id": m["id"], "repr": repr(value)}))
            """;

    /**
     * ./run-tests runs the interop tests a second time against a newer Python Kombu (Debian trixie's, on
     * PYTHONPATH) and names its version here, so that pass cannot quietly test the default one again;
     * otherwise the default one must be one kombu4j speaks (5.2 or later).
     */
    @Test
    void theExpectedPythonKombuIsTheOneTested() throws Exception {
        Optional<String> expected = PythonKombu.expectedVersion();
        String tested = PythonKombu.requireKombu();
        if (expected.isPresent()) {
            assertThat(tested).isEqualTo(expected.get());
        } else {
            assertThat(PythonKombu.atLeast(tested, 5, 2)).as("Kombu %s is older than 5.2, which kombu4j speaks", tested).isTrue();
        }
    }

    @Test
    void javaDecodesWhatPythonKombuEncodes() throws Exception {
        String version = PythonKombu.requireKombu();
        boolean tags = PythonKombu.atLeast(version, 5, 3);
        Map<String, Map<String, Object>> vectors = new LinkedHashMap<>();
        for (String line : PythonKombu.runCode(PYTHON_ENCODES, PYTHON_TIMEOUT, tags ? "tags" : "plain").split("\n")) {
            if (!line.isBlank()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> v = LINES.readValue(line, Map.class);
                vectors.put((String) v.get("id"), v);
            }
        }

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("a", 1);
        json.put("s", "héllo ✓");
        json.put("l", Arrays.asList(1, 2.5, null, true));
        json.put("n", Map.of("x", List.of()));
        json.put("big", BigInteger.TWO.pow(70));
        assertThat(decode(vectors.get("json"))).isEqualTo(json);
        assertThat(vectors.get("json").get("ct")).isEqualTo("application/json");
        assertThat(decode(vectors.get("str"))).isEqualTo("héllo");
        assertThat(vectors.get("str").get("ct")).isEqualTo("text/plain");
        assertThat(decode(vectors.get("bytes"))).isEqualTo(new byte[] {0, (byte) 0xff});
        assertThat(vectors.get("bytes").get("ce")).isEqualTo("binary");
        assertThat(decode(vectors.get("raw_str"))).isEqualTo("x");
        assertThat(vectors.get("raw_str")).containsEntry("ct", "application/data").containsEntry("ce", "utf-8");
        Map<?, ?> msgpack = (Map<?, ?>) decode(vectors.get("msgpack"));
        assertThat(msgpack.get("s")).isEqualTo("a");
        assertThat((byte[]) msgpack.get("b")).containsExactly(1);
        assertThat(msgpack.get("l")).isEqualTo(List.of(1, -2, 3.5));
        assertThat(decode(vectors.get("yaml"))).isEqualTo(Map.of("a", List.of(1, 2), "b", "c"));
        if (tags) {
            Map<?, ?> t = (Map<?, ?>) decode(vectors.get("tags"));
            assertThat(t.get("dt")).isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 678_901_000, ZoneOffset.UTC));
            assertThat(t.get("naive")).isEqualTo(java.time.LocalDateTime.of(2024, 1, 2, 3, 4, 5));
            assertThat(t.get("d")).isEqualTo(LocalDate.of(2024, 1, 2));
            assertThat(t.get("t")).isEqualTo(LocalTime.of(3, 4, 5));
            assertThat(t.get("dec")).isEqualTo(new BigDecimal("1.10"));
            assertThat(t.get("u")).isEqualTo(UUID.fromString("12345678-1234-5678-1234-567812345678"));
            assertThat((byte[]) t.get("b")).isEqualTo("abc".getBytes(UTF_8));
            assertThat((byte[]) t.get("b64")).isEqualTo(new byte[] {(byte) 0xff, 0});
        }
        int compressed = 0;
        for (String name : COMPRESSIONS) {
            Map<String, Object> v = vectors.get("c-" + name);
            if (v != null) {
                Compressor c = compressors.byName((String) v.get("compression"));
                assertThat(c.name()).isEqualTo(name);
                assertThat(c.decompress(Base64.getDecoder().decode((String) v.get("b64")))).as(name)
                        .isEqualTo(PLAIN);
                compressed++;
            }
        }
        assertThat(compressed).as("Python compressions checked").isGreaterThanOrEqualTo(3);
    }

    @Test
    void pythonKombuDecodesWhatJavaEncodes() throws Exception {
        String version = PythonKombu.requireKombu();
        boolean tags = PythonKombu.atLeast(version, 5, 3);
        Map<String, String> expected = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>();

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("a", 1);
        json.put("s", "héllo ✓");
        json.put("l", Arrays.asList(1, 2.5, null, true));
        json.put("n", Map.of("x", List.of()));
        json.put("big", BigInteger.TWO.pow(70));
        lines.add(line("json", serializers.encode(json, null), null));
        expected.put("json", "{'a': 1, 's': 'héllo ✓', 'l': [1, 2.5, None, True], 'n': {'x': []},"
                + " 'big': 1180591620717411303424}");
        lines.add(line("str", serializers.encode("héllo", null), null));
        expected.put("str", "'héllo'");
        lines.add(line("bytes", serializers.encode(new byte[] {0, (byte) 0xff}, null), null));
        expected.put("bytes", "b'\\x00\\xff'");
        Map<String, Object> mp = new LinkedHashMap<>();
        mp.put("s", "a");
        mp.put("b", new byte[] {1});
        mp.put("l", List.of(1, -2, 3.5));
        lines.add(line("msgpack", serializers.encode(mp, "msgpack"), null));
        expected.put("msgpack", "{'s': 'a', 'b': b'\\x01', 'l': [1, -2, 3.5]}");
        Map<String, Object> yaml = new LinkedHashMap<>();
        yaml.put("a", List.of(1, 2));
        yaml.put("b", "c");
        lines.add(line("yaml", serializers.encode(yaml, "yaml"), null));
        expected.put("yaml", "{'a': [1, 2], 'b': 'c'}");
        if (tags) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("dt", OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 678_901_000, ZoneOffset.UTC));
            t.put("d", LocalDate.of(2024, 1, 2));
            t.put("t", LocalTime.of(3, 4, 5));
            t.put("dec", new BigDecimal("1.10"));
            t.put("u", UUID.fromString("12345678-1234-5678-1234-567812345678"));
            t.put("b", "abc".getBytes(UTF_8));
            t.put("b64", new byte[] {(byte) 0xff, 0});
            lines.add(line("tags", serializers.encode(t, "json"), null));
            expected.put("tags", "{'dt': datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc),"
                    + " 'd': datetime.date(2024, 1, 2), 't': datetime.time(3, 4, 5), 'dec': Decimal('1.10'),"
                    + " 'u': UUID('12345678-1234-5678-1234-567812345678'), 'b': b'abc', 'b64': b'\\xff\\x00'}");
        }
        for (String name : compressors.names()) {
            Compressor c = compressors.byName(name);
            Encoded e = serializers.encode(PLAIN, null);
            lines.add(line("c-" + name, new Encoded(c.compress(e.body()), e.contentType(), e.contentEncoding()),
                    c.contentType()));
            expected.put("c-" + name, "b'" + "hello world ".repeat(100) + "'");
        }

        Path file = Files.createTempFile("kombu4j-vectors-", ".jsonl");
        try {
            Files.write(file, lines, UTF_8);
            Map<String, String> actual = new LinkedHashMap<>();
            for (String line : PythonKombu.runCode(PYTHON_DECODES, PYTHON_TIMEOUT, file.toString()).split("\n")) {
                if (!line.isBlank()) {
                    Map<?, ?> m = LINES.readValue(line, Map.class);
                    actual.put((String) m.get("id"), (String) m.get("repr"));
                }
            }
            assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private Object decode(Map<String, Object> v) {
        byte[] body = Base64.getDecoder().decode((String) v.get("b64"));
        return serializers.decode(body, (String) v.get("ct"), (String) v.get("ce"), null);
    }

    private static String line(String id, Encoded e, String compression) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("ct", e.contentType());
        m.put("ce", e.contentEncoding());
        m.put("compression", compression);
        m.put("b64", Base64.getEncoder().encodeToString(e.body()));
        return LINES.writeValueAsString(m);
    }
}
