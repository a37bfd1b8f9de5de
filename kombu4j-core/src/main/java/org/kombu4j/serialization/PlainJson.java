package org.kombu4j.serialization;

import com.fasterxml.jackson.core.io.NumberInput;
import com.fasterxml.jackson.core.io.NumberOutput;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A fast path for the JSON every message carries: plain trees of {@code java.util} maps with String keys,
 * collections, Strings, integers, doubles, booleans and null. It writes exactly the bytes
 * {@link JsonSerializer}'s Jackson mapper writes for such a tree, and reads exactly what its parser reads, but
 * without Jackson's per-call generator/parser setup, buffer recycling and char-by-char string handling (JFR
 * showed those as most of the memory transport's publish and consume time). Written by hand for that reason
 * alone: with it, one producer and one consumer on {@code memory://} with 1 KiB bodies move about twice as many
 * messages per second as with the Jackson path (BENCHMARKS.md); Jackson stays the reference and the general
 * path, and a randomized differential test holds the two to the same bytes and values.
 *
 * <p>Whatever it is not sure about it does not handle: {@link #encode} returns null and {@link #decode} returns
 * {@link #NOT_HANDLED}, and the caller uses Jackson, which then yields the same value or the same error it
 * always did. So anything unusual (other types, type tags to write, non-ASCII text to read, escapes other than
 * the common ones, NaN literals, huge numbers, any syntax error) costs one wasted partial pass, never a
 * different result.
 */
final class PlainJson {
    /** Returned by {@link #decode} for input it leaves to Jackson. */
    static final Object NOT_HANDLED = new Object();

    private static final int MAX_DEPTH = 100;
    private static final int KEEP_BUFFER_BYTES = 1 << 20;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final double[] POW10 = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22};
    private static final ThreadLocal<Out> OUT = ThreadLocal.withInitial(Out::new);
    private static final int KEY_CACHE_MAX_LENGTH = 32;
    private static final Key[] KEYS = new Key[512];

    /** A decoded object key and its bytes. */
    private record Key(byte[] bytes, String text) {
    }

    /** Thrown (preallocated, no stack) to abandon the fast path. */
    private static final class Bail extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Bail() {
            super(null, null, false, false);
        }
    }

    private static final Bail BAIL = new Bail();

    private PlainJson() {
    }

    // ---------------------------------------------------------------- encode

    /** The JSON bytes of {@code body}, as Jackson would write them, or null if the body is not a plain tree. */
    static byte @Nullable [] encode(@Nullable Object body) {
        Out out = OUT.get();
        out.pos = 0;
        try {
            out.value(body, 0);
            return Arrays.copyOf(out.buf, out.pos);
        } catch (Bail e) {
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

    // ---------------------------------------------------------------- decode

    /**
     * The value of a JSON document, as {@link JsonSerializer}'s Jackson reader builds it (Kombu's type tags
     * decoded), or {@link #NOT_HANDLED}.
     */
    static @Nullable Object decode(byte[] data) {
        try {
            In in = new In(data);
            in.skipSpace();
            if (in.pos >= data.length) {
                return NOT_HANDLED;
            }
            Object v = in.value(0);
            in.skipSpace();
            return in.pos == data.length ? v : NOT_HANDLED;
        } catch (Bail | JsonTypeTags.BadTagException | ArrayIndexOutOfBoundsException e) {
            return NOT_HANDLED;
        }
    }

    private static final class In {
        final byte[] d;
        int pos;
        char @Nullable [] scratch; // for the few numbers that need FastDoubleParser

        In(byte[] d) {
            this.d = d;
        }

        void skipSpace() {
            byte[] b = d;
            int p = pos;
            while (p < b.length) {
                byte c = b[p];
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    break;
                }
                p++;
            }
            pos = p;
        }

        /** The byte at pos; AIOOBE at the end, which {@link #decode} turns into "not handled". */
        byte peek() {
            return d[pos];
        }

        @Nullable Object value(int depth) {
            byte c = peek();
            switch (c) {
                case '{':
                    return object(depth);
                case '[':
                    return array(depth);
                case '"':
                    pos++;
                    return string();
                case 't':
                    literal(TRUE);
                    return Boolean.TRUE;
                case 'f':
                    literal(FALSE);
                    return Boolean.FALSE;
                case 'n':
                    literal(NULL);
                    return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw BAIL;
            }
        }

        private Object object(int depth) {
            if (depth >= MAX_DEPTH) {
                throw BAIL;
            }
            pos++;
            Map<String, @Nullable Object> map = new LinkedHashMap<>();
            skipSpace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                if (peek() != '"') {
                    throw BAIL;
                }
                pos++;
                String key = key();
                skipSpace();
                if (peek() != ':') {
                    throw BAIL;
                }
                pos++;
                skipSpace();
                map.put(key, value(depth + 1));
                skipSpace();
                byte c = d[pos++];
                if (c == '}') {
                    break;
                }
                if (c != ',') {
                    throw BAIL;
                }
                skipSpace();
            }
            if (map.size() == 2 && map.containsKey(JsonTypeTags.TYPE) && map.containsKey(JsonTypeTags.VALUE)) {
                return JsonTypeTags.decodeTag(map.get(JsonTypeTags.TYPE), map.get(JsonTypeTags.VALUE));
            }
            return map;
        }

        private Object array(int depth) {
            if (depth >= MAX_DEPTH) {
                throw BAIL;
            }
            pos++;
            List<@Nullable Object> list = new ArrayList<>();
            skipSpace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                list.add(value(depth + 1));
                skipSpace();
                byte c = d[pos++];
                if (c == ']') {
                    return list;
                }
                if (c != ',') {
                    throw BAIL;
                }
                skipSpace();
            }
        }

        /**
         * An object key, after the opening quote. Short plain keys come from a small shared table of the keys seen
         * before, so the same few keys of every message are not allocated and hashed again each time.
         */
        private String key() {
            byte[] b = d;
            int start = pos;
            int end = start;
            int h = 0;
            int limit = Math.min(b.length, start + KEY_CACHE_MAX_LENGTH + 1);
            while (end < limit) {
                byte c = b[end];
                if (c == '"' || c == '\\' || c < 0x20) {
                    break;
                }
                h = 31 * h + c;
                end++;
            }
            if (end >= b.length || b[end] != '"') {
                return string(); // long, escaped, non-ASCII or unterminated: the general way
            }
            int len = end - start;
            int slot = (h ^ (h >>> 7) ^ len) & (KEYS.length - 1);
            Key k = KEYS[slot];
            if (k != null && Arrays.equals(k.bytes, 0, k.bytes.length, b, start, end)) {
                pos = end + 1;
                return k.text;
            }
            byte[] bytes = Arrays.copyOfRange(b, start, end);
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            KEYS[slot] = new Key(bytes, text); // racy but safe: a Key is immutable, and any Key found is checked
            pos = end + 1;
            return text;
        }

        /** After the opening quote. Printable ASCII and the common escapes only. */
        private String string() {
            byte[] b = d;
            int start = pos;
            int i = start;
            // 32 bytes at a time while none is a quote, a backslash, a control byte or non-ASCII, then 8.
            for (; i + 32 <= b.length; i += 32) {
                if (((stop((long) LONGS.get(b, i)) | stop((long) LONGS.get(b, i + 8)) | stop((long) LONGS.get(b, i + 16))
                        | stop((long) LONGS.get(b, i + 24))) & HIGHS) != 0) {
                    break;
                }
            }
            for (; i + 8 <= b.length; i += 8) {
                if ((stop((long) LONGS.get(b, i)) & HIGHS) != 0) {
                    break;
                }
            }
            while (true) {
                int c = b[i];
                if (c == '"') {
                    pos = i + 1;
                    return new String(b, start, i - start, StandardCharsets.ISO_8859_1);
                }
                if (c == '\\') {
                    return escaped(start, i);
                }
                if (c < 0x20) { // also every byte >= 0x80, as a negative byte
                    throw BAIL;
                }
                i++;
            }
        }

        private String escaped(int start, int firstEscape) {
            byte[] b = d;
            StringBuilder sb = new StringBuilder(firstEscape - start + 16);
            for (int k = start; k < firstEscape; k++) {
                sb.append((char) b[k]);
            }
            int i = firstEscape;
            while (true) {
                int c = b[i++];
                if (c == '"') {
                    pos = i;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw BAIL;
                }
                if (c != '\\') {
                    sb.append((char) c);
                    continue;
                }
                int e = b[i++];
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u': {
                        int cp = (hex(b[i]) << 12) | (hex(b[i + 1]) << 8) | (hex(b[i + 2]) << 4) | hex(b[i + 3]);
                        i += 4;
                        if (Character.isSurrogate((char) cp)) {
                            throw BAIL; // pairs and lone halves: Jackson's rules
                        }
                        sb.append((char) cp);
                        break;
                    }
                    default:
                        throw BAIL;
                }
            }
        }

        private static int hex(byte c) {
            if (c >= '0' && c <= '9') {
                return c - '0';
            }
            if (c >= 'a' && c <= 'f') {
                return c - 'a' + 10;
            }
            if (c >= 'A' && c <= 'F') {
                return c - 'A' + 10;
            }
            throw BAIL;
        }

        private void literal(byte[] word) {
            byte[] b = d;
            int p = pos;
            if (p + word.length > b.length) {
                throw BAIL;
            }
            for (int k = 0; k < word.length; k++) {
                if (b[p + k] != word[k]) {
                    throw BAIL;
                }
            }
            pos = p + word.length;
            endOfToken();
        }

        /** Jackson wants a token to end at a delimiter ("truex", "1x" are errors): leave anything else to it. */
        private void endOfToken() {
            if (pos < d.length) {
                byte c = d[pos];
                if (c != ',' && c != ']' && c != '}' && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    throw BAIL;
                }
            }
        }

        private Object number() {
            byte[] b = d;
            int start = pos;
            int p = start;
            boolean negative = b[p] == '-';
            if (negative) {
                p++;
            }
            long mantissa = 0;
            int digits = 0;
            int intStart = p;
            while (p < b.length && b[p] >= '0' && b[p] <= '9') {
                mantissa = mantissa * 10 + (b[p] - '0');
                p++;
            }
            int intDigits = p - intStart;
            if (intDigits == 0 || (intDigits > 1 && b[intStart] == '0')) {
                throw BAIL; // "-", "-x", leading zeros: Jackson's errors
            }
            digits = intDigits;
            boolean floating = false;
            int fracDigits = 0;
            if (p < b.length && b[p] == '.') {
                floating = true;
                p++;
                int fracStart = p;
                while (p < b.length && b[p] >= '0' && b[p] <= '9') {
                    mantissa = mantissa * 10 + (b[p] - '0');
                    p++;
                }
                fracDigits = p - fracStart;
                if (fracDigits == 0) {
                    throw BAIL;
                }
                digits += fracDigits;
            }
            int exp = 0;
            if (p < b.length && (b[p] == 'e' || b[p] == 'E')) {
                floating = true;
                p++;
                boolean expNegative = false;
                if (p < b.length && (b[p] == '+' || b[p] == '-')) {
                    expNegative = b[p] == '-';
                    p++;
                }
                int expStart = p;
                while (p < b.length && b[p] >= '0' && b[p] <= '9') {
                    if (p - expStart < 6) {
                        exp = exp * 10 + (b[p] - '0');
                    }
                    p++;
                }
                if (p == expStart) {
                    throw BAIL;
                }
                if (p - expStart >= 6) {
                    exp = 999_999; // out of the fast range below: parsed from the text
                }
                if (expNegative) {
                    exp = -exp;
                }
            }
            pos = p;
            endOfToken();
            if (!floating) {
                if (digits > 18) {
                    throw BAIL; // Long or BigInteger as Jackson decides
                }
                long v = negative ? -mantissa : mantissa;
                if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                    return (int) v;
                }
                return v;
            }
            int e10 = exp - fracDigits;
            // Exact operands and one correctly rounded operation give the correctly rounded double, which is
            // what Double.parseDouble (Jackson's reader) returns.
            if (digits <= 18 && mantissa <= (1L << 53) && e10 >= -22 && e10 <= 22) {
                double v = (double) mantissa;
                v = e10 >= 0 ? v * POW10[e10] : v / POW10[-e10];
                return negative ? -v : v;
            }
            // Jackson's bundled FastDoubleParser: correctly rounded like Double.parseDouble, several times faster.
            int len = p - start;
            if (len > 32) {
                return NumberInput.parseDouble(new String(b, start, len, StandardCharsets.ISO_8859_1), true);
            }
            char[] chars = scratch;
            if (chars == null) {
                chars = new char[32];
                scratch = chars;
            }
            for (int k = 0; k < len; k++) {
                chars[k] = (char) b[start + k];
            }
            return NumberInput.parseDouble(chars, 0, len, true);
        }
    }

    /**
     * A word with the top bit set in some byte (test with {@code & HIGHS}) if and only if some byte of {@code w}
     * is {@code "}, {@code \}, below 0x20 or at least 0x80. Per byte {@code c}: {@code c ^ 0x02} maps the bytes
     * below 0x20 onto themselves and {@code "} (0x22) onto 0x20, and no other byte below 0x21, so {@code (c ^ 0x02)
     * - 0x21} flags those; {@code (c ^ 0x5C) - 1} flags the backslash. A byte from 0x80 up keeps its top bit
     * through {@code (c ^ 0x5C) - 1} unless it is 0xDC, which {@code (c ^ 0x02) - 0x21} flags. A subtraction
     * clears or sets top bits wrongly only through a borrow, and a borrow starts only at a flagged byte, so the
     * answer to "any?" is exact (PlainJsonTest puts each kind of byte at every offset).
     */
    private static long stop(long w) {
        return ((w ^ 0x0202020202020202L) - 0x2121212121212121L) | ((w ^ 0x5C5C5C5C5C5C5C5CL) - ONES);
    }
}
