package org.kombu4j.redis.internal;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An incremental RESP2/RESP3 decoder. Bytes are {@link #feed fed} as they arrive, split anywhere;
 * {@link #next} returns each complete reply or {@link #NEED_MORE}. Aggregates are kept on an
 * explicit stack, so a reply split across many reads is never re-parsed from its start, and a
 * header (type line, or a bulk string with its payload) is consumed only once it is complete.
 * Anything that is not RESP, or exceeds a limit, throws {@link RespProtocolException}; after that
 * the parser (and its connection) must be discarded.
 */
public final class RespParser {
    /** Returned by {@link #next} when the buffered bytes do not yet hold a complete reply. */
    public static final Object NEED_MORE = new Object() {
        @Override
        public String toString() {
            return "NEED_MORE";
        }
    };

    /** Limits that keep a broken or hostile peer from making us allocate without bound. */
    public record Limits(int maxBulkBytes, int maxAggregateLength, int maxDepth, int maxLineBytes) {
        /** Redis' own proto-max-bulk-len (512 MB), 16 M elements, 64 levels, 64 KB header lines. */
        public static final Limits DEFAULT = new Limits(512 * 1024 * 1024, 16 * 1024 * 1024, 64, 64 * 1024);
    }

    private enum Kind { ARRAY, MAP, SET, PUSH, ATTRIBUTE }

    private static final class Frame {
        final Kind kind;
        final int expected;
        final List<Object> items;

        Frame(Kind kind, int expected) {
            this.kind = kind;
            this.expected = expected;
            this.items = new ArrayList<>(Math.min(expected, 1024));
        }
    }

    private final Limits limits;
    private final ArrayDeque<Frame> stack = new ArrayDeque<>();
    private byte[] buf = new byte[16 * 1024];
    private int start;
    private int end;
    private boolean failed;

    public RespParser() {
        this(Limits.DEFAULT);
    }

    public RespParser(Limits limits) {
        this.limits = limits;
    }

    /** Appends received bytes (the buffer is read from its position to its limit). */
    public void feed(ByteBuffer src) {
        int n = src.remaining();
        ensureRoom(n);
        src.get(buf, end, n);
        end += n;
    }

    public void feed(byte[] src, int off, int len) {
        ensureRoom(len);
        System.arraycopy(src, off, buf, end, len);
        end += len;
    }

    /** Bytes buffered but not yet consumed. */
    public int buffered() {
        return end - start;
    }

    private void ensureRoom(int n) {
        if (end + n <= buf.length) {
            return;
        }
        int live = end - start;
        if (live + n <= buf.length && start > 0) {
            System.arraycopy(buf, start, buf, 0, live);
        } else {
            long want = Math.max((long) buf.length * 2, (long) live + n);
            if (want > Integer.MAX_VALUE - 16) {
                throw fail("reply too large to buffer");
            }
            byte[] nb = new byte[(int) want];
            System.arraycopy(buf, start, nb, 0, live);
            buf = nb;
        }
        end = live;
        start = 0;
    }

    /**
     * The next complete reply, or {@link #NEED_MORE}.
     *
     * @throws RespProtocolException on bytes that are not RESP or exceed a limit
     */
    public @Nullable Object next() {
        if (failed) {
            throw new RespProtocolException("RESP parser already failed; the connection must be closed");
        }
        while (true) {
            int lineEnd = findCrlf();
            if (lineEnd < 0) {
                if (end - start > limits.maxLineBytes()) {
                    throw fail("no CRLF within " + limits.maxLineBytes() + " bytes");
                }
                return NEED_MORE;
            }
            if (lineEnd - start > limits.maxLineBytes()) {
                throw fail("header line longer than " + limits.maxLineBytes() + " bytes");
            }
            byte type = buf[start];
            int lineStart = start + 1;
            Object value;
            boolean haveValue = true;
            switch (type) {
                case '+':
                    value = new String(buf, lineStart, lineEnd - lineStart, StandardCharsets.UTF_8);
                    start = lineEnd + 2;
                    break;
                case '-':
                    value = new RespError(new String(buf, lineStart, lineEnd - lineStart, StandardCharsets.UTF_8));
                    start = lineEnd + 2;
                    break;
                case ':':
                    value = parseLong(lineStart, lineEnd);
                    start = lineEnd + 2;
                    break;
                case '_':
                    if (lineEnd != lineStart) {
                        throw fail("junk after RESP3 null");
                    }
                    value = null;
                    start = lineEnd + 2;
                    break;
                case '#': {
                    if (lineEnd - lineStart != 1 || (buf[lineStart] != 't' && buf[lineStart] != 'f')) {
                        throw fail("bad RESP3 boolean");
                    }
                    value = buf[lineStart] == 't';
                    start = lineEnd + 2;
                    break;
                }
                case ',': {
                    String s = new String(buf, lineStart, lineEnd - lineStart, StandardCharsets.US_ASCII);
                    try {
                        value = s.equals("inf") ? Double.POSITIVE_INFINITY : s.equals("-inf") ? Double.NEGATIVE_INFINITY
                                : Double.parseDouble(s);
                    } catch (NumberFormatException e) {
                        throw fail("bad RESP3 double '" + s + "'");
                    }
                    start = lineEnd + 2;
                    break;
                }
                case '(': {
                    String s = new String(buf, lineStart, lineEnd - lineStart, StandardCharsets.US_ASCII);
                    try {
                        value = new BigInteger(s);
                    } catch (NumberFormatException e) {
                        throw fail("bad RESP3 big number");
                    }
                    start = lineEnd + 2;
                    break;
                }
                case '$':
                case '=':
                case '!': {
                    long len = parseLong(lineStart, lineEnd);
                    if (len == -1 && type == '$') {
                        value = null;
                        start = lineEnd + 2;
                        break;
                    }
                    if (len < 0 || len > limits.maxBulkBytes()) {
                        throw fail("bulk length " + len + " outside 0.." + limits.maxBulkBytes());
                    }
                    int payload = lineEnd + 2;
                    if ((long) end - payload < len + 2) {
                        return NEED_MORE; // header stays unconsumed until the payload is here
                    }
                    int stop = payload + (int) len;
                    if (buf[stop] != '\r' || buf[stop + 1] != '\n') {
                        throw fail("bulk string not terminated by CRLF");
                    }
                    byte[] data = Arrays.copyOfRange(buf, payload, stop);
                    start = stop + 2;
                    if (type == '!') {
                        value = new RespError(new String(data, StandardCharsets.UTF_8));
                    } else if (type == '=') {
                        // Verbatim string: "txt:" + text; the format tag is not part of the value.
                        value = data.length >= 4 && data[3] == ':' ? Arrays.copyOfRange(data, 4, data.length) : data;
                    } else {
                        value = data;
                    }
                    break;
                }
                case '*':
                case '%':
                case '~':
                case '>':
                case '|': {
                    long n = parseLong(lineStart, lineEnd);
                    start = lineEnd + 2;
                    if (n == -1 && type == '*') {
                        value = null;
                        break;
                    }
                    Kind kind = type == '*' ? Kind.ARRAY : type == '%' ? Kind.MAP : type == '~' ? Kind.SET
                            : type == '>' ? Kind.PUSH : Kind.ATTRIBUTE;
                    long count = kind == Kind.MAP || kind == Kind.ATTRIBUTE ? n * 2 : n;
                    if (n < 0 || count > limits.maxAggregateLength()) {
                        throw fail("aggregate length " + n + " outside 0.." + limits.maxAggregateLength());
                    }
                    if (count == 0) {
                        if (kind == Kind.ATTRIBUTE) {
                            haveValue = false;
                            value = null;
                        } else {
                            value = wrap(kind, new ArrayList<>());
                        }
                        break;
                    }
                    if (stack.size() >= limits.maxDepth()) {
                        throw fail("nesting deeper than " + limits.maxDepth());
                    }
                    stack.push(new Frame(kind, (int) count));
                    continue;
                }
                default:
                    throw fail("unexpected type byte 0x" + Integer.toHexString(type & 0xff));
            }
            // A complete value: hand it to the enclosing aggregates, closing those it completes.
            while (haveValue) {
                Frame top = stack.peek();
                if (top == null) {
                    compactIfIdle();
                    return value;
                }
                top.items.add(value);
                if (top.items.size() < top.expected) {
                    break;
                }
                stack.pop();
                if (top.kind == Kind.ATTRIBUTE) {
                    break; // attributes annotate the next value; we drop them
                }
                value = wrap(top.kind, top.items);
            }
        }
    }

    private static Object wrap(Kind kind, List<Object> items) {
        return kind == Kind.PUSH ? new RespPush(items) : items;
    }

    private void compactIfIdle() {
        if (start == end) {
            start = 0;
            end = 0;
        }
    }

    private int findCrlf() {
        for (int i = start; i < end - 1; i++) {
            if (buf[i] == '\r') {
                if (buf[i + 1] == '\n') {
                    return i;
                }
                throw fail("CR not followed by LF");
            }
        }
        return -1;
    }

    private long parseLong(int from, int to) {
        if (from >= to || to - from > 20) {
            throw fail("bad number in header");
        }
        boolean neg = buf[from] == '-';
        int i = neg ? from + 1 : from;
        if (i >= to) {
            throw fail("bad number in header");
        }
        long v = 0;
        for (; i < to; i++) {
            int d = buf[i] - '0';
            if (d < 0 || d > 9) {
                throw fail("bad number in header: '" + new String(buf, from, to - from, StandardCharsets.ISO_8859_1) + "'");
            }
            v = v * 10 + d;
            if (v < 0) {
                throw fail("number overflows 64 bits");
            }
        }
        return neg ? -v : v;
    }

    private RespProtocolException fail(String why) {
        failed = true;
        return new RespProtocolException("Redis protocol error: " + why);
    }
}
