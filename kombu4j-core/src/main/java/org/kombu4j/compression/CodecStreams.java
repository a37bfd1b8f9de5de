package org.kombu4j.compression;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

/**
 * What the codecs that work through a library's streams share: one body through a compressing stream, or out
 * of a decompressing one with the output bounded, and their failures worded the same way for every codec.
 */
final class CodecStreams {
    /** Wraps the output in a library's compressing stream. */
    @FunctionalInterface
    interface Compressing {
        OutputStream wrap(OutputStream out) throws IOException;
    }

    /** Wraps the input in a library's decompressing stream. */
    @FunctionalInterface
    interface Decompressing {
        InputStream wrap(InputStream in) throws IOException;
    }

    private CodecStreams() {
    }

    /** {@code data} through the stream {@code codec} makes; an I/O failure is an {@link EncodeException}. */
    static byte[] compress(String compression, byte[] data, Compressing codec) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 2));
        try (OutputStream s = codec.wrap(out)) {
            s.write(data);
        } catch (IOException e) {
            throw new EncodeException("cannot compress with " + compression + ": " + e, e);
        }
        return out.toByteArray();
    }

    /**
     * {@code data} out of the stream {@code codec} makes, at most {@code limit} bytes; anything the library throws
     * on corrupt input (some throw unchecked exceptions, too) is a {@link DecodeException}.
     */
    static byte[] decompress(String compression, byte[] data, long limit, Decompressing codec) {
        try (InputStream in = codec.wrap(new ByteArrayInputStream(data))) {
            return BoundedOutput.readAll(in, limit, compression);
        } catch (DecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw BoundedOutput.corrupt(compression, e);
        }
    }
}
