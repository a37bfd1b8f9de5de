package org.kombu4j.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RespParserTest {

    // ---- a test-side encoder for every reply type, to round-trip random values ----

    private static void encode(ByteArrayOutputStream out, Object v) {
        if (v == null) {
            write(out, "$-1\r\n");
        } else if (v instanceof byte[]) {
            byte[] b = (byte[]) v;
            write(out, "$" + b.length + "\r\n");
            out.write(b, 0, b.length);
            write(out, "\r\n");
        } else if (v instanceof String) {
            write(out, "+" + v + "\r\n");
        } else if (v instanceof Long) {
            write(out, ":" + v + "\r\n");
        } else if (v instanceof RespError) {
            write(out, "-" + ((RespError) v).message() + "\r\n");
        } else if (v instanceof Boolean) {
            write(out, ((Boolean) v) ? "#t\r\n" : "#f\r\n");
        } else if (v instanceof RespPush) {
            List<Object> items = ((RespPush) v).items();
            write(out, ">" + items.size() + "\r\n");
            items.forEach(i -> encode(out, i));
        } else if (v instanceof List) {
            List<?> items = (List<?>) v;
            write(out, "*" + items.size() + "\r\n");
            items.forEach(i -> encode(out, i));
        } else {
            throw new IllegalArgumentException(v.toString());
        }
    }

    private static void write(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
    }

    private static Object randomValue(Random r, int depth) {
        int k = r.nextInt(depth > 3 ? 6 : 9);
        switch (k) {
            case 0:
                return null;
            case 1: {
                byte[] b = new byte[r.nextInt(4) == 0 ? r.nextInt(5000) : r.nextInt(20)];
                r.nextBytes(b); // any bytes, CR and LF included: bulk strings are length-prefixed
                return b;
            }
            case 2:
                return "OK" + r.nextInt(100);
            case 3:
                return r.nextLong();
            case 4:
                return new RespError("ERR something " + r.nextInt(10));
            case 5:
                return r.nextBoolean();
            case 6:
            case 7: {
                List<Object> items = new ArrayList<>();
                int n = r.nextInt(6);
                for (int i = 0; i < n; i++) {
                    items.add(randomValue(r, depth + 1));
                }
                return items;
            }
            default: {
                List<Object> items = new ArrayList<>();
                items.add("message".getBytes(StandardCharsets.UTF_8));
                items.add(randomValue(r, depth + 1));
                return new RespPush(items);
            }
        }
    }

    /** Makes byte arrays comparable by value. */
    private static Object norm(Object v) {
        if (v instanceof byte[]) {
            return Arrays.toString((byte[]) v);
        }
        if (v instanceof RespPush) {
            return List.of("push", norm(((RespPush) v).items()));
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object o : (List<?>) v) {
                out.add(norm(o));
            }
            return out;
        }
        return v == null ? "<null>" : v;
    }

    @Test
    void randomRepliesSplitAtRandomPointsParseBackIdentically() {
        Random r = new Random(42);
        for (int round = 0; round < 300; round++) {
            List<Object> values = new ArrayList<>();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int n = 1 + r.nextInt(8);
            for (int i = 0; i < n; i++) {
                Object v = randomValue(r, 0);
                values.add(v);
                encode(out, v);
            }
            byte[] wire = out.toByteArray();
            RespParser p = new RespParser();
            List<Object> got = new ArrayList<>();
            int pos = 0;
            while (pos < wire.length) {
                int chunk = r.nextInt(3) == 0 ? 1 : 1 + r.nextInt(Math.max(1, wire.length / 3));
                chunk = Math.min(chunk, wire.length - pos);
                p.feed(wire, pos, chunk);
                pos += chunk;
                for (Object v = p.next(); v != RespParser.NEED_MORE; v = p.next()) {
                    got.add(v);
                }
            }
            assertThat(norm(got)).as("round %d", round).isEqualTo(norm(values));
            assertThat(p.buffered()).isZero();
        }
    }

    @Test
    void everyByteSplitOfOneReplyWorks() {
        byte[] wire = "*3\r\n$5\r\nhe\r\nl\r\n*2\r\n:-7\r\n_\r\n%1\r\n+k\r\n,1.5\r\n".getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= wire.length; cut++) {
            RespParser p = new RespParser();
            p.feed(wire, 0, cut);
            Object first = p.next();
            if (cut < wire.length) {
                assertThat(first).isSameAs(RespParser.NEED_MORE);
                p.feed(wire, cut, wire.length - cut);
                first = p.next();
            }
            assertThat(norm(first)).isEqualTo(norm(List.of("he\r\nl".getBytes(StandardCharsets.UTF_8),
                    Arrays.asList(-7L, null), List.of("k", 1.5))));
        }
    }

    @Test
    void resp3PushesAndVerbatimStrings() {
        RespParser p = new RespParser();
        byte[] wire = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nq1\r\n=7\r\ntxt:abc\r\n|1\r\n+ttl\r\n:3\r\n:9\r\n"
                .getBytes(StandardCharsets.UTF_8);
        p.feed(wire, 0, wire.length);
        Object push = p.next();
        assertThat(push).isInstanceOf(RespPush.class);
        assertThat(((RespPush) push).kind()).isEqualTo("invalidate");
        assertThat(new String((byte[]) p.next(), StandardCharsets.UTF_8)).isEqualTo("abc");
        assertThat(p.next()).isEqualTo(9L); // the attribute is dropped
    }

    @Test
    void garbageIsAProtocolErrorNeverAHang() {
        for (String bad : List.of("?what\r\n", "$abc\r\n", "$3\r\nabcXY", "*-5\r\n", ":12a\r\n", "\r\n",
                "$-2\r\n", "#x\r\n", "+a\rb\r\n", ":99999999999999999999\r\n")) {
            RespParser p = new RespParser();
            byte[] b = bad.getBytes(StandardCharsets.ISO_8859_1);
            p.feed(b, 0, b.length);
            assertThatThrownBy(p::next).as(bad).isInstanceOf(RespProtocolException.class);
            assertThatThrownBy(p::next).isInstanceOf(RespProtocolException.class);
        }
        Random r = new Random(7);
        for (int i = 0; i < 500; i++) {
            byte[] b = new byte[1 + r.nextInt(200)];
            r.nextBytes(b);
            RespParser p = new RespParser(new RespParser.Limits(1 << 16, 1 << 10, 8, 256));
            p.feed(b, 0, b.length);
            try {
                for (int k = 0; k < 1000 && p.next() != RespParser.NEED_MORE; k++) {
                    // keep going: must end in NEED_MORE or an exception, never loop forever
                }
            } catch (RespProtocolException expected) {
                // fine
            }
        }
    }

    @Test
    void limitsAreEnforced() {
        RespParser p = new RespParser(new RespParser.Limits(10, 4, 2, 32));
        byte[] big = "$11\r\n".getBytes(StandardCharsets.US_ASCII);
        p.feed(big, 0, big.length);
        assertThatThrownBy(p::next).isInstanceOf(RespProtocolException.class).hasMessageContaining("bulk length");
        RespParser deep = new RespParser(new RespParser.Limits(10, 4, 2, 32));
        byte[] d = "*1\r\n*1\r\n*1\r\n:1\r\n".getBytes(StandardCharsets.US_ASCII);
        deep.feed(d, 0, d.length);
        assertThatThrownBy(deep::next).isInstanceOf(RespProtocolException.class).hasMessageContaining("nesting");
        RespParser line = new RespParser(new RespParser.Limits(10, 4, 2, 32));
        byte[] l = "+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".getBytes(StandardCharsets.US_ASCII);
        line.feed(l, 0, l.length);
        assertThatThrownBy(line::next).isInstanceOf(RespProtocolException.class).hasMessageContaining("CRLF");
    }
}
