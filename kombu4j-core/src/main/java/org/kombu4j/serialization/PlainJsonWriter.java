package org.kombu4j.serialization;

import static org.kombu4j.serialization.PlainJson.BAIL;
import static org.kombu4j.serialization.PlainJson.FALSE;
import static org.kombu4j.serialization.PlainJson.HIGHS;
import static org.kombu4j.serialization.PlainJson.LONGS;
import static org.kombu4j.serialization.PlainJson.MAX_DEPTH;
import static org.kombu4j.serialization.PlainJson.NULL;
import static org.kombu4j.serialization.PlainJson.ONES;
import static org.kombu4j.serialization.PlainJson.TRUE;

import com.fasterxml.jackson.core.io.NumberOutput;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@link PlainJson}'s writer: a plain tree into exactly the bytes {@link JsonSerializer}'s Jackson mapper writes,
 * through one growable buffer per thread, ASCII strings scanned 32 bytes a step for what needs escaping.
 */
final class PlainJsonWriter {
    private static final int KEEP_BUFFER_BYTES = 1 << 20;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final ThreadLocal<Out> OUT = ThreadLocal.withInitial(Out::new);

    private PlainJsonWriter() {
    }

    /** The JSON bytes of {@code body}, as Jackson would write them, or null if the body is not a plain tree. */
    static byte @Nullable [] encode(@Nullable Object body) {
        Out out = OUT.get();
        out.pos = 0;
        try {
            out.value(body, 0);
            return Arrays.copyOf(out.buf, out.pos);
        } catch (PlainJson.Bail e) {
            return null;
        } finally {
            if (out.buf.length > KEEP_BUFFER_BYTES) {
                out.buf = new byte[Out.INITIAL];
            }
        }
    }

    /** A growable byte buffer, one per thread, reused by every encode on it. */
    private static final class Out {
        static final int INITIAL = 4096;
        byte[] buf = new byte[INITIAL];
        int pos;

        private void ensure(int more) {
            if (pos + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
            }
        }

        private void raw(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        private void ascii(String s) {
            // Only ever the ASCII toString() of a number.
            int n = s.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                buf[pos + i] = (byte) s.charAt(i);
            }
            pos += n;
        }

        /** A long in decimal, as Long.toString writes it, without making the String. */
        private void digits(long v) {
            if (v == Long.MIN_VALUE) {
                ascii(Long.toString(v));
                return;
            }
            ensure(20);
            if (v < 0) {
                buf[pos++] = '-';
                v = -v;
            }
            int n = 1;
            for (long t = v; t >= 10; t /= 10) {
                n++;
            }
            int end = pos + n;
            for (int i = end - 1; i >= pos; i--) {
                buf[i] = (byte) ('0' + (v % 10));
                v /= 10;
            }
            pos = end;
        }

        private void put(byte b) {
            ensure(1);
            buf[pos++] = b;
        }

        void value(@Nullable Object v, int depth) {
            if (v == null) {
                raw(NULL);
            } else if (v instanceof String s) {
                string(s);
            } else if (v instanceof Map<?, ?> m) {
                map(m, depth);
            } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                digits(((Number) v).longValue());
            } else if (v instanceof BigInteger) {
                ascii(v.toString());
            } else if (v instanceof Double d) {
                // As the mapper writes them (USE_FAST_DOUBLE_WRITER: the shortest digits that read back as the same
                // double); NaN and Infinity bare, since WRITE_NAN_AS_STRINGS is off.
                ascii(NumberOutput.toString(d, true));
            } else if (v instanceof Float f) {
                ascii(NumberOutput.toString(f, true));
            } else if (v instanceof Boolean b) {
                raw(b ? TRUE : FALSE);
            } else if (v instanceof Collection<?> c) {
                collection(c, depth);
            } else {
                throw BAIL;
            }
        }

        private void map(Map<?, ?> m, int depth) {
            // A user's Map subclass may carry Jackson annotations or a custom serializer: leave those to Jackson.
            if (depth >= MAX_DEPTH || !isJavaUtil(m.getClass())) {
                throw BAIL;
            }
            put((byte) '{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw BAIL;
                }
                if (!first) {
                    put((byte) ',');
                }
                first = false;
                string(key);
                put((byte) ':');
                value(e.getValue(), depth + 1);
            }
            put((byte) '}');
        }

        private void collection(Collection<?> c, int depth) {
            if (depth >= MAX_DEPTH || !isJavaUtil(c.getClass())) {
                throw BAIL;
            }
            put((byte) '[');
            boolean first = true;
            for (Object o : c) {
                if (!first) {
                    put((byte) ',');
                }
                first = false;
                value(o, depth + 1);
            }
            put((byte) ']');
        }

        private void string(String s) {
            // String.getBytes(UTF_8) of an ASCII string is a vectorized check plus an array copy. Equal lengths
            // mean every char was ASCII, except that a lone surrogate also becomes one byte ('?'): the scan below
            // sends every '?' to the careful path, which tells them apart.
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int n = b.length;
            if (n != s.length()) {
                careful(s, 0);
                return;
            }
            int clean = cleanPrefix(s, b, n);
            ensure(n + 2);
            buf[pos++] = '"';
            System.arraycopy(b, 0, buf, pos, clean);
            pos += clean;
            if (clean < n) {
                carefulTail(s, clean);
            }
            put((byte) '"');
        }

        private void careful(String s, int from) {
            put((byte) '"');
            carefulTail(s, from);
            put((byte) '"');
        }

        /** Char by char from {@code from}, with Jackson's escapes and UTF-8; a lone surrogate goes to Jackson. */
        private void carefulTail(String s, int from) {
            int n = s.length();
            ensure((n - from) * 6);
            byte[] o = buf;
            int p = pos;
            for (int i = from; i < n; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    if (c >= 0x20 && c != '"' && c != '\\') {
                        o[p++] = (byte) c;
                        continue;
                    }
                    o[p++] = '\\';
                    switch (c) {
                        case '"': o[p++] = '"'; break;
                        case '\\': o[p++] = '\\'; break;
                        case '\b': o[p++] = 'b'; break;
                        case '\t': o[p++] = 't'; break;
                        case '\f': o[p++] = 'f'; break;
                        case '\n': o[p++] = 'n'; break;
                        case '\r': o[p++] = 'r'; break;
                        default:
                            o[p++] = 'u';
                            o[p++] = '0';
                            o[p++] = '0';
                            o[p++] = HEX[c >> 4];
                            o[p++] = HEX[c & 0xF];
                    }
                } else if (c < 0x800) {
                    o[p++] = (byte) (0xC0 | (c >> 6));
                    o[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (!Character.isSurrogate(c)) {
                    o[p++] = (byte) (0xE0 | (c >> 12));
                    o[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    o[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    o[p++] = (byte) (0xF0 | (cp >> 18));
                    o[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    o[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    o[p++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    throw BAIL;
                }
            }
            pos = p;
        }
    }

    private static boolean isJavaUtil(Class<?> c) {
        String name = c.getName();
        return name.startsWith("java.util.");
    }

    /**
     * How many leading bytes of {@code b}, the all-ASCII bytes of {@code s} (one per char), need no escape and
     * are not {@code '?'}. {@code String.indexOf(char)} on a Latin-1 string is a vectorized intrinsic (JDK 16+),
     * so quote and backslash are found by it; control bytes and {@code '?'} (also what a lone surrogate became,
     * which {@code s} does not show) by hand, on the bytes. About 90 ns for a 972-byte string where one pass
     * testing all four kinds took about 130 ns.
     */
    private static int cleanPrefix(String s, byte[] b, int n) {
        int limit = firstOf(s, '"', n);
        limit = firstOf(s, '\\', limit);
        int i = 0;
        for (; i + 32 <= limit; i += 32) {
            if (((controlOrQuestion((long) LONGS.get(b, i)) | controlOrQuestion((long) LONGS.get(b, i + 8))
                    | controlOrQuestion((long) LONGS.get(b, i + 16)) | controlOrQuestion((long) LONGS.get(b, i + 24)))
                    & HIGHS) != 0) {
                break;
            }
        }
        for (; i < limit; i++) {
            int c = b[i];
            if (c < 0x20 || c == '?') {
                return i;
            }
        }
        return limit;
    }

    /** The index of the first {@code c} in {@code s} if it is below {@code limit}, else {@code limit}. */
    private static int firstOf(String s, char c, int limit) {
        int i = s.indexOf(c);
        return i >= 0 && i < limit ? i : limit;
    }

    /**
     * A word with the top bit set in some byte (test with {@code & HIGHS}) if and only if some byte of {@code w}
     * (all below 0x80) is below 0x20 or is {@code '?'}: {@code c - 0x20} borrows, setting the top bit, only for
     * c below 0x20, and {@code (c ^ 0x3F) - 1} only for {@code '?'}; with every byte below 0x80 a subtraction sets
     * a byte's top bit only if that byte is flagged or through a borrow from a lower byte that is, so the answer
     * to "any?" is exact.
     */
    private static long controlOrQuestion(long w) {
        return (w - 0x2020202020202020L) | ((w ^ 0x3F3F3F3F3F3F3F3FL) - ONES);
    }
}
