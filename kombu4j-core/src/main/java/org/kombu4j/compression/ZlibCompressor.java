package org.kombu4j.compression;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import org.kombu4j.DecodeException;

/**
 * Kombu's {@code application/x-gzip}, which despite the name is the zlib format ({@code zlib.compress}, header
 * {@code 78 9c}), not gzip (WIRE.md §9). Decompression also takes a real gzip stream, which other producers may
 * send under that name. JDK only, so always available.
 */
final class ZlibCompressor implements Compressor {
    static final String CONTENT_TYPE = "application/x-gzip";

    private final long limit;

    ZlibCompressor(long limit) {
        this.limit = limit;
    }

    @Override
    public String name() {
        return "zlib";
    }

    @Override
    public List<String> aliases() {
        return List.of("gzip");
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public byte[] compress(byte[] data) {
        // Level 6 is zlib's (and Python's) default, which yields the 78 9c header.
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 2));
            byte[] buf = new byte[64 * 1024];
            while (!deflater.finished()) {
                int n = deflater.deflate(buf);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    @Override
    public byte[] decompress(byte[] data) {
        if (data.length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b) {
            return CodecStreams.decompress(name(), data, limit, GZIPInputStream::new);
        }
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && !inflater.finished()) {
                    // No progress and not finished: input ended early, or a preset dictionary Kombu never uses.
                    String why = inflater.needsDictionary() ? "needs a preset dictionary" : "truncated data";
                    throw new DecodeException("cannot decompress " + name() + ": " + why, null);
                }
                total += n;
                BoundedOutput.checkLimit(total, limit, name());
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw BoundedOutput.corrupt(name(), e);
        } finally {
            inflater.end();
        }
    }
}
