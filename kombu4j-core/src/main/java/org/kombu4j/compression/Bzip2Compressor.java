package org.kombu4j.compression;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

/** Kombu's {@code application/x-bz2} via commons-compress. Only constructed when that library is present. */
final class Bzip2Compressor implements Compressor {
    static final String LIBRARY_CLASS = "org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream";

    private final long limit;

    Bzip2Compressor(long limit) {
        this.limit = limit;
    }

    @Override
    public String name() {
        return "bzip2";
    }

    @Override
    public List<String> aliases() {
        return List.of("bzip");
    }

    @Override
    public String contentType() {
        return "application/x-bz2";
    }

    @Override
    public byte[] compress(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 2));
        // Block size 9 matches Python's bz2.compress default compresslevel.
        try (BZip2CompressorOutputStream bz = new BZip2CompressorOutputStream(out, 9)) {
            bz.write(data);
        } catch (IOException e) {
            throw new EncodeException("cannot compress with bzip2: " + e, e);
        }
        return out.toByteArray();
    }

    @Override
    public byte[] decompress(byte[] data) {
        // Python's bz2.decompress(b"") returns b"".
        if (data.length == 0) {
            return data;
        }
        // Concatenated streams are accepted, as bz2.decompress does.
        try (BZip2CompressorInputStream in = new BZip2CompressorInputStream(new ByteArrayInputStream(data), true)) {
            return BoundedOutput.readAll(in, limit, name());
        } catch (DecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // commons-compress throws unchecked exceptions on some corrupt inputs, too.
            throw BoundedOutput.corrupt(name(), e);
        }
    }
}
