package org.kombu4j.redis.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes commands as RESP arrays of bulk strings, the only form clients send, into a growable
 * buffer of its own (unsynchronized, unlike ByteArrayOutputStream, and handed to the socket without
 * a copy). Not thread-safe: one writer per command batch.
 */
public final class RespWriter {
    private byte[] buf;
    private int size;

    public RespWriter(int initialCapacity) {
        this.buf = new byte[Math.max(16, initialCapacity)];
    }

    /** Encodes one command; arguments are {@code byte[]}, {@link CharSequence} (UTF-8) or numbers. */
    public static byte[] command(List<?> args) {
        RespWriter w = new RespWriter(64);
        w.write(args);
        return Arrays.copyOf(w.buf, w.size);
    }

    /** Appends one command. */
    public RespWriter write(List<?> args) {
        header('*', args.size());
        for (Object a : args) {
            byte[] b = toBytes(a);
            header('$', b.length);
            ensure(b.length + 2);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
            buf[size++] = '\r';
            buf[size++] = '\n';
        }
        return this;
    }

    /** Empties the writer, keeping its buffer. */
    public RespWriter reset() {
        size = 0;
        return this;
    }

    public int size() {
        return size;
    }

    /** Drops what was written after {@code size} bytes. */
    public void truncate(int size) {
        this.size = size;
    }

    public int capacity() {
        return buf.length;
    }

    /** What was written so far, as a buffer over the same bytes. */
    public ByteBuffer toByteBuffer() {
        return ByteBuffer.wrap(buf, 0, size);
    }

    static byte[] toBytes(Object a) {
        if (a instanceof byte[]) {
            return (byte[]) a;
        }
        if (a instanceof CharSequence || a instanceof Number) {
            return a.toString().getBytes(StandardCharsets.UTF_8);
        }
        throw new IllegalArgumentException("cannot send " + a.getClass().getName() + " as a Redis argument");
    }

    private void header(char type, int n) {
        ensure(14);
        buf[size++] = (byte) type;
        if (n == 0) {
            buf[size++] = '0';
        } else {
            int start = size;
            for (int v = n; v > 0; v /= 10) {
                buf[size++] = (byte) ('0' + v % 10);
            }
            for (int i = start, j = size - 1; i < j; i++, j--) {
                byte t = buf[i];
                buf[i] = buf[j];
                buf[j] = t;
            }
        }
        buf[size++] = '\r';
        buf[size++] = '\n';
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
