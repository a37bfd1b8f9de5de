package org.kombu4j.redis.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Encodes commands as RESP arrays of bulk strings, the only form clients send. */
public final class RespWriter {
    private RespWriter() {
    }

    /** Encodes one command; arguments are {@code byte[]}, {@link CharSequence} (UTF-8) or numbers. */
    public static byte[] command(List<?> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        writeCommand(out, args);
        return out.toByteArray();
    }

    public static void writeCommand(ByteArrayOutputStream out, List<?> args) {
        header(out, '*', args.size());
        for (Object a : args) {
            byte[] b = toBytes(a);
            header(out, '$', b.length);
            out.write(b, 0, b.length);
            out.write('\r');
            out.write('\n');
        }
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

    private static void header(ByteArrayOutputStream out, char type, int n) {
        out.write(type);
        byte[] digits = Integer.toString(n).getBytes(StandardCharsets.US_ASCII);
        out.write(digits, 0, digits.length);
        out.write('\r');
        out.write('\n');
    }
}
