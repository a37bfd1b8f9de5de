package org.kombu4j.transport.virtual;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.kombu4j.transport.RawMessage;

/** The hand-written envelope writer against Jackson's: the same bytes for every message, plain or not. */
class EnvelopeEncodeTest {
    private static final String TAG = "7c1d3f7e-0b8a-4c55-9a3e-2f1e0d9c8b7a";

    private static void assertSameAsJackson(String exchange, String rk, RawMessage m) {
        String fast = new String(EnvelopeWriter.encode(exchange, rk, m, TAG), StandardCharsets.UTF_8);
        String reference = new String(EnvelopeWriter.encodeWithJackson(exchange, rk, m, TAG), StandardCharsets.UTF_8);
        assertThat(fast).isEqualTo(reference);
    }

    @Test
    void usualMessage() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("correlation_id", "c-1");
        props.put("reply_to", "replies");
        props.put("delivery_mode", 2);
        props.put("priority", 3);
        RawMessage m = new RawMessage("{\"a\": 1}".getBytes(StandardCharsets.UTF_8), "application/json", "utf-8",
                Map.of("x-trace", "t\"1\\"), props);
        assertSameAsJackson("ex", "rk.a", m);
        assertThat(new String(EnvelopeWriter.encode("ex", "rk.a", m, TAG), StandardCharsets.UTF_8))
                .startsWith("{\"body\":\"eyJhIjogMX0=\",\"content-encoding\":\"utf-8\"")
                .contains("\"delivery_info\":{\"exchange\":\"ex\",\"routing_key\":\"rk.a\"}")
                .endsWith("\"body_encoding\":\"base64\",\"delivery_tag\":\"" + TAG + "\"}}");
    }

    @Test
    void emptyBodyNullContentTypeAndNoProperties() {
        assertSameAsJackson("", "q", new RawMessage(new byte[0], null, null, Map.of(), Map.of()));
    }

    @Test
    void whatThePlainWriterLeavesToJacksonStillComesOutTheSame() {
        List<Object> odd = List.of("caf\u00e9", "\u20ac", "tab\there", "line\n", "\u0001", "\u007f", 1.5f,
                new BigDecimal("1.10"), Double.NaN, Double.POSITIVE_INFINITY, Set.of("s"),
                new TreeMap<>(Map.of("k", "v")), "\ud83d\ude00", new StringBuilder("sb"));
        for (Object v : odd) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("v", v);
            assertSameAsJackson("ex", "rk", new RawMessage(new byte[] {1, 2, 3}, "application/data", "binary", h, Map.of()));
            assertSameAsJackson("ex", "rk", new RawMessage(new byte[] {1}, "text/plain", "utf-8", Map.of(), h));
        }
        assertSameAsJackson("\u00e9x", "rk", new RawMessage(new byte[] {1}, "text/plain", "utf-8", Map.of(), Map.of()));
    }

    @Test
    void randomPlainTrees() {
        Random r = new Random(42);
        for (int i = 0; i < 3000; i++) {
            byte[] body = new byte[r.nextInt(300)];
            r.nextBytes(body);
            Map<String, Object> props = new LinkedHashMap<>();
            int np = r.nextInt(5);
            for (int j = 0; j < np; j++) {
                props.put(pick(r, "priority", "delivery_mode", "correlation_id", "reply_to", "expiration",
                        "delivery_tag", "body_encoding", "delivery_info", "k" + j), tree(r, 2));
            }
            assertSameAsJackson(string(r), string(r),
                    new RawMessage(body, r.nextBoolean() ? "application/json" : null, string(r), map(r, 3), props));
        }
    }

    private static String pick(Random r, String... s) {
        return s[r.nextInt(s.length)];
    }

    private static Map<String, Object> map(Random r, int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            m.put(string(r), tree(r, depth - 1));
        }
        return m;
    }

    private static Object tree(Random r, int depth) {
        switch (r.nextInt(depth > 0 ? 10 : 7)) {
            case 0: return string(r);
            case 1: return r.nextInt();
            case 2: return r.nextLong();
            case 3: return r.nextBoolean();
            case 4: return r.nextDouble() * Math.pow(10, r.nextInt(40) - 20);
            case 5: return r.nextInt(3) == 0 ? "" : string(r);
            case 6: return r.nextInt(4) == 0 ? "" : String.valueOf(r.nextInt(1000));
            case 7: return map(r, depth);
            case 8: {
                List<Object> l = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    l.add(tree(r, depth - 1));
                }
                return l;
            }
            default: return r.nextBoolean() ? List.of() : new LinkedHashMap<>();
        }
    }

    private static String string(Random r) {
        // Mostly printable ASCII, now and then a quote, backslash, control or non-ASCII character.
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(12); i > 0; i--) {
            int k = r.nextInt(40);
            b.append(k == 0 ? '"' : k == 1 ? '\\' : k == 2 ? '\n' : k == 3 ? '\u00e9' : (char) (0x20 + r.nextInt(95)));
        }
        return b.toString();
    }
}
