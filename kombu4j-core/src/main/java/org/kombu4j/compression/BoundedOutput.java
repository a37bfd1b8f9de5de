package org.kombu4j.compression;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.kombu4j.DecodeException;

/** Drains a decompressing stream with a cap, so that a compression bomb fails fast instead of exhausting memory. */
final class BoundedOutput {
    private BoundedOutput() {
    }

    static byte[] readAll(InputStream in, long limit, String compression) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buf)) != -1) {
            total += n;
            checkLimit(total, limit, compression);
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    static void checkLimit(long total, long limit, String compression) {
        if (total > limit) {
            throw new DecodeException("cannot decompress " + compression + ": output exceeds the limit of "
                    + limit + " bytes", null);
        }
    }

    static DecodeException corrupt(String compression, Throwable cause) {
        return new DecodeException("cannot decompress " + compression + ": corrupt or truncated data (" + cause
                + ")", cause);
    }
}
