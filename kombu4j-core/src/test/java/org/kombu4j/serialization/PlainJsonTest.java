package org.kombu4j.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link PlainJson} must be indistinguishable from the Jackson path: for every input it either declines or gives
 * byte-for-byte (encode) or value-for-value (decode) what Jackson gives. Randomized with fixed seeds.
 */
class PlainJsonTest {
    private final JsonSerializer json = new JsonSerializer();

    private static final char[] CHARS = {
        'a', 'Z', '0', ' ', '"', '\\', '/', '?', '\u0000', '\u0001', '\b', '\t', '\n', '\f', '\r', '\u001f', '\u007f',
        '\u0080', 'é', '\u07ff', '\u0800', '✓', '\uffff', '\ud834', '\udd1e', 'x', 'y', '{', '}', ',', ':'};

    private static String randomString(Random r) {
        int n = r.nextInt(4) == 0 ? r.nextInt(200) : r.nextInt(24);
        StringBuilder sb = new StringBuilder(n);
        boolean asciiOnly = r.nextBoolean();
        for (int i = 0; i < n; i++) {
            if (asciiOnly && r.nextInt(8) != 0) {
                sb.append((char) (0x20 + r.nextInt(0x5f)));
            } else {
                sb.append(CHARS[r.nextInt(CHARS.length)]);
            }
        }
        return sb.toString();
    }

    private static Object randomValue(Random r, int depth) {
        switch (r.nextInt(depth > 3 ? 9 : 13)) {
            case 0: return randomString(r);
            case 1: return r.nextInt();
            case 2: return r.nextLong();
            case 3: return Double.longBitsToDouble(r.nextLong());
            case 4: return r.nextDouble() * Math.pow(10, r.nextInt(40) - 20);
            case 5: return r.nextBoolean();
            case 6: return (float) r.nextGaussian();
            case 7: return new BigInteger(100, r);
            case 8: return r.nextInt(3) == 0 ? Double.NaN : (short) r.nextInt();
            case 9: {
                Map<String, Object> m = r.nextBoolean() ? new LinkedHashMap<>() : new TreeMap<>();
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    m.put(randomString(r), randomValue(r, depth + 1));
                }
                return m;
            }
            case 10: {
                List<Object> l = new ArrayList<>();
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    l.add(r.nextInt(10) == 0 ? null : randomValue(r, depth + 1));
                }
                return r.nextInt(4) == 0 ? new LinkedHashSet<>(l) : l;
            }
            case 11: return Map.of("seq", r.nextInt(1_000_000), "ts", 1.764e9 + r.nextDouble() * 1e6, "pad", "x".repeat(r.nextInt(40)));
            default: return List.of(r.nextInt(), Arrays.asList("a", null, 1.5));
        }
    }

    @Test
    void encodesExactlyAsJacksonOrDeclines() {
        Random r = new Random(42);
        int handled = 0;
        for (int i = 0; i < 20_000; i++) {
            Object v = randomValue(r, 0);
            byte[] plain = PlainJsonWriter.encode(v);
            if (plain != null) {
                handled++;
                assertThat(new String(plain, StandardCharsets.UTF_8)).as("%s", v)
                        .isEqualTo(new String(json.encodeWithJackson(v), StandardCharsets.UTF_8));
            }
        }
        assertThat(handled).isGreaterThan(15_000);
    }

    @Test
    void stringsWithoutLoneSurrogatesAreHandled() {
        Random r = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            String s = randomString(r);
            boolean lone = false;
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                if (Character.isHighSurrogate(c) && k + 1 < s.length() && Character.isLowSurrogate(s.charAt(k + 1))) {
                    k++;
                } else if (Character.isSurrogate(c)) {
                    lone = true;
                }
            }
            byte[] plain = PlainJsonWriter.encode(s);
            if (lone) {
                assertThat(plain).isNull();
            } else {
                assertThat(plain).as("%s", s).isEqualTo(json.encodeWithJackson(s));
            }
        }
    }

    @Test
    void doublesReadBackAsTheSameValue() {
        Random r = new Random(5);
        for (int i = 0; i < 100_000; i++) {
            double d = i % 2 == 0 ? Double.longBitsToDouble(r.nextLong()) : 1.7e9 + r.nextDouble() * 1e8;
            String text = new String(PlainJsonWriter.encode(d), StandardCharsets.US_ASCII);
            assertThat(Double.valueOf(text)).as(text).isEqualTo(Double.valueOf(d));
            assertThat(json.decode(text.getBytes(StandardCharsets.US_ASCII))).as(text).isEqualTo(Double.valueOf(d));
        }
        assertThat(new String(PlainJsonWriter.encode(List.of(1.0, 0.001, 1e7, 1e23, -0.0, 2.5e-300)), StandardCharsets.US_ASCII))
                .isEqualTo("[1.0,0.001,1.0E7,1.0E23,-0.0,2.5E-300]");
    }

    @Test
    void writesIntegersAsJackson() {
        List<Object> edges = List.of(0, -1, 1, 9, 10, -10, 99, 100, Integer.MIN_VALUE, Integer.MAX_VALUE, Long.MIN_VALUE,
                Long.MAX_VALUE, Long.MIN_VALUE + 1, 1_000_000_000_000L, (short) -32768, (byte) -128, (byte) 127,
                new BigInteger("-123456789012345678901234567890"));
        assertThat(PlainJsonWriter.encode(edges)).isEqualTo(json.encodeWithJackson(edges));
        Random r = new Random(3);
        for (int i = 0; i < 10_000; i++) {
            long v = r.nextLong() >> r.nextInt(64);
            assertThat(PlainJsonWriter.encode(v)).as("%d", v).isEqualTo(json.encodeWithJackson(v));
        }
    }

    @Test
    void declinesWhatItDoesNotKnow() {
        assertThat(PlainJsonWriter.encode(new Object())).isNull();
        assertThat(PlainJsonWriter.encode(Map.of(1, "a"))).isNull();
        assertThat(PlainJsonWriter.encode(List.of(java.time.LocalDate.of(2024, 1, 2)))).isNull();
        assertThat(PlainJsonWriter.encode(new byte[] {1})).isNull();
        Map<String, Object> deep = new LinkedHashMap<>();
        Map<String, Object> cur = deep;
        for (int i = 0; i < 150; i++) {
            Map<String, Object> next = new LinkedHashMap<>();
            cur.put("k", next);
            cur = next;
        }
        assertThat(PlainJsonWriter.encode(deep)).isNull();
        assertThat(json.decode(json.encode(deep))).isEqualTo(deep);
    }

    @Test
    void decodesExactlyAsJacksonOrDeclines() {
        Random r = new Random(1234);
        int handled = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] doc = json.encodeWithJackson(randomValue(r, 0));
            if (r.nextBoolean()) {
                // Python's spacing: ", " and ": ", plus stray whitespace.
                doc = new String(doc, StandardCharsets.UTF_8).replace(",", r.nextBoolean() ? ", " : ",\n\t")
                        .replace(":", ": ").getBytes(StandardCharsets.UTF_8);
            }
            if (r.nextInt(3) == 0 && doc.length > 0) {
                doc = mutate(r, doc);
            }
            handled += compareDecode(doc) ? 1 : 0;
        }
        assertThat(handled).isGreaterThan(8_000);
    }

    private static byte[] mutate(Random r, byte[] doc) {
        byte[] out = Arrays.copyOf(doc, doc.length);
        switch (r.nextInt(4)) {
            case 0:
                return Arrays.copyOf(out, r.nextInt(out.length));
            case 1:
                out[r.nextInt(out.length)] = (byte) r.nextInt(256);
                return out;
            case 2:
                out[r.nextInt(out.length)] = (byte) "\"\\{}[],:.-+eE0123456789 tfnu".charAt(r.nextInt(28));
                return out;
            default:
                byte[] longer = Arrays.copyOf(out, out.length + 1);
                longer[out.length] = (byte) "x}] 1".charAt(r.nextInt(5));
                return longer;
        }
    }

    /** Whether PlainJson handled it; fails if its answer differs from Jackson's. */
    private boolean compareDecode(byte[] doc) {
        Object plain = PlainJsonReader.decode(doc);
        Object jackson;
        try {
            jackson = json.decodeWithJackson(doc);
        } catch (RuntimeException e) {
            assertThat(plain).as("Jackson refused %s (%s) but PlainJson decoded it", show(doc), e.getMessage())
                    .isSameAs(PlainJson.NOT_HANDLED);
            return false;
        }
        if (plain == PlainJson.NOT_HANDLED) {
            return false;
        }
        assertSameValue(plain, jackson, show(doc));
        return true;
    }

    private static String show(byte[] doc) {
        return new String(doc, StandardCharsets.ISO_8859_1);
    }

    private static void assertSameValue(Object a, Object b, String doc) {
        if (b == null) {
            assertThat(a).as(doc).isNull();
            return;
        }
        assertThat(a).as(doc).isNotNull();
        assertThat(a.getClass()).as(doc).isEqualTo(b.getClass());
        if (b instanceof Map<?, ?> mb) {
            Map<?, ?> ma = (Map<?, ?>) a;
            assertThat(new ArrayList<>(ma.keySet())).as(doc).isEqualTo(new ArrayList<>(mb.keySet()));
            for (Object k : mb.keySet()) {
                assertSameValue(ma.get(k), mb.get(k), doc);
            }
        } else if (b instanceof List<?> lb) {
            List<?> la = (List<?>) a;
            assertThat(la).as(doc).hasSameSizeAs(lb);
            for (int i = 0; i < lb.size(); i++) {
                assertSameValue(la.get(i), lb.get(i), doc);
            }
        } else if (b instanceof byte[] bb) {
            assertThat((byte[]) a).as(doc).isEqualTo(bb);
        } else {
            // Double.equals: bit-exact, NaN equal to NaN, 0.0 unlike -0.0.
            assertThat(a).as(doc).isEqualTo(b);
        }
    }

    @Test
    void decodesNumbersAsJackson() {
        Random r = new Random(99);
        String[] fixed = {"0", "-0", "-0.0", "0.0", "1e5", "1E+5", "1e-5", "2.5e-3", "123456789012345678", "1234567890123456789",
            "-9223372036854775808", "2147483647", "2147483648", "-2147483648", "-2147483649", "1.7976931348623157e308",
            "1e400", "4.9e-324", "1e-400", "1764086400.123456", "1.764086400123456E9", "9007199254740993.0",
            "0.1", "0.30000000000000004", "1e0000005", "1e22", "1e23", "123456789e-22", "01", "1.", ".5", "-", "1e",
            "1e+", "+1", "NaN", "Infinity", "-Infinity", "1x", "[1,]", "{\"a\":1,}", "[01]", "tru", "nul", "truex"};
        for (String s : fixed) {
            compareDecode(s.getBytes(StandardCharsets.US_ASCII));
            compareDecode(("[" + s + "]").getBytes(StandardCharsets.US_ASCII));
        }
        for (int i = 0; i < 50_000; i++) {
            StringBuilder sb = new StringBuilder();
            if (r.nextBoolean()) {
                sb.append('-');
            }
            int intDigits = 1 + r.nextInt(12);
            for (int k = 0; k < intDigits; k++) {
                sb.append((char) ('0' + (k == 0 && intDigits > 1 ? 1 + r.nextInt(9) : r.nextInt(10))));
            }
            if (r.nextBoolean()) {
                sb.append('.');
                int frac = 1 + r.nextInt(12);
                for (int k = 0; k < frac; k++) {
                    sb.append((char) ('0' + r.nextInt(10)));
                }
            }
            if (r.nextInt(3) == 0) {
                sb.append(r.nextBoolean() ? 'e' : 'E').append(r.nextBoolean() ? "-" : "").append(r.nextInt(30));
            }
            assertThat(compareDecode(("{\"n\": " + sb + "}").getBytes(StandardCharsets.US_ASCII))).as(sb.toString()).isTrue();
        }
    }

    @Test
    void decodesEscapesAndTagsAsJackson() {
        String[] docs = {"\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\te\"", "\"\\u0041\\u00e9\\u2713\"", "\"\\ud834\\udd1e\"",
            "\"\\ud834\"", "\"\\x\"", "\"caf\u00e9\"", "\"tab\tinside\"", " {\"a\" : [ ] , \"b\" : { } } ",
            "{\"__type__\": \"date\", \"__value__\": \"2024-01-02\"}", "{\"__type__\": \"nope\", \"__value__\": 1}",
            "{\"__type__\": \"bytes\", \"__value__\": \"abc\"}", "{\"a\":1,\"a\":2}", "", "  ", "{} {}", "[1] x",
            "\u00ef\u00bb\u00bf{}", "\"unterminated", "[1,2", "{\"a\"1}", "{\"a\":}", "{1:2}"};
        for (String d : docs) {
            compareDecode(d.getBytes(StandardCharsets.ISO_8859_1));
            compareDecode(d.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(PlainJsonReader.decode("{\"seq\": 7, \"ts\": 1764086400.123456, \"pad\": \"xxxxxxxxxxxxxxxxxxxxx\"}"
                .getBytes(StandardCharsets.US_ASCII))).isEqualTo(Map.of("seq", 7, "ts", 1764086400.123456, "pad", "x".repeat(21)));
    }

    @Test
    void findsEveryStopByteAtEveryOffsetOfALongString() {
        // The string scan reads 32 and then 8 bytes at a time: one unusual byte at each position of strings of
        // every length up to a few blocks, before and after, must be found wherever it falls.
        int[] stops = {'"', '\\', 0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x2f, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80,
            0xc3, 0xff};
        Random r = new Random(11);
        int handled = 0;
        for (int n = 1; n <= 100; n++) {
            for (int at = 0; at < n; at++) {
                byte[] doc = new byte[n + 2 + 8];
                doc[0] = '"';
                for (int k = 1; k <= n; k++) {
                    doc[k] = (byte) (0x20 + r.nextInt(0x5f));
                    if (doc[k] == '"' || doc[k] == '\\') {
                        doc[k] = 'q';
                    }
                }
                doc[1 + at] = (byte) stops[r.nextInt(stops.length)];
                if (r.nextBoolean() && doc[1 + at] == '\\' && at + 1 < n) {
                    doc[2 + at] = (byte) "\"\\/bfnrtu".charAt(r.nextInt(9));
                }
                doc[n + 1] = '"';
                int tail = r.nextInt(8);
                for (int k = 0; k < tail; k++) {
                    doc[n + 2 + k] = ' ';
                }
                handled += compareDecode(Arrays.copyOf(doc, n + 2 + tail)) ? 1 : 0;
                handled += compareDecode(("{\"k\": " + new String(doc, 0, n + 2 + tail, StandardCharsets.ISO_8859_1) + "}")
                        .getBytes(StandardCharsets.ISO_8859_1)) ? 1 : 0;
            }
        }
        assertThat(handled).isGreaterThan(2_000);
    }

    @Test
    void encodesEverySpecialCharAtEveryOffsetOfALongString() {
        // The encoder's clean-prefix scan reads 32 and then 8 bytes at a time: one char that needs care at each
        // position of strings of every length up to a few blocks must be found wherever it falls.
        char[] specials = {'"', '\\', '?', '\u0000', '\u0001', '\u001f', ' ', '!', '#', '/', '[', ']', '~', '\u007f',
            '\u0080', '\u00e9', '\u2713', '\ud834', '\udd1e'};
        Random r = new Random(13);
        for (int n = 1; n <= 100; n++) {
            for (int at = 0; at < n; at++) {
                char[] cs = new char[n];
                for (int k = 0; k < n; k++) {
                    char c = (char) (0x20 + r.nextInt(0x5f));
                    cs[k] = c == '"' || c == '\\' || c == '?' ? 'q' : c;
                }
                cs[at] = specials[r.nextInt(specials.length)];
                String s = new String(cs);
                byte[] plain = PlainJsonWriter.encode(s);
                if (plain != null) {
                    assertThat(new String(plain, StandardCharsets.UTF_8)).as("%s", s)
                            .isEqualTo(new String(json.encodeWithJackson(s), StandardCharsets.UTF_8));
                } else {
                    assertThat(Character.isSurrogate(cs[at])).as("%s", s).isTrue();
                }
            }
        }
    }
}
