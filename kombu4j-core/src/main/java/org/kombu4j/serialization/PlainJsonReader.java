package org.kombu4j.serialization;

import static org.kombu4j.serialization.PlainJson.BAIL;
import static org.kombu4j.serialization.PlainJson.FALSE;
import static org.kombu4j.serialization.PlainJson.HIGHS;
import static org.kombu4j.serialization.PlainJson.LONGS;
import static org.kombu4j.serialization.PlainJson.MAX_DEPTH;
import static org.kombu4j.serialization.PlainJson.NOT_HANDLED;
import static org.kombu4j.serialization.PlainJson.NULL;
import static org.kombu4j.serialization.PlainJson.ONES;
import static org.kombu4j.serialization.PlainJson.TRUE;

import com.fasterxml.jackson.core.io.NumberInput;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@link PlainJson}'s reader: a JSON document into exactly the values {@link JsonSerializer}'s Jackson reader
 * builds (Kombu's type tags decoded), strings scanned 32 and 8 bytes a step, short object keys shared from a
 * table.
 */
final class PlainJsonReader {
    private static final double[] POW10 = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22};
    private static final int KEY_CACHE_MAX_LENGTH = 32;
    private static final Key[] KEYS = new Key[512];

    /** A decoded object key and its bytes. */
    private record Key(byte[] bytes, String text) {
    }

    private PlainJsonReader() {
    }

    /**
     * The value of a JSON document, as {@link JsonSerializer}'s Jackson reader builds it (Kombu's type tags
     * decoded), or {@link PlainJson#NOT_HANDLED}.
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
        } catch (PlainJson.Bail | JsonTypeTags.BadTagException | ArrayIndexOutOfBoundsException e) {
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
