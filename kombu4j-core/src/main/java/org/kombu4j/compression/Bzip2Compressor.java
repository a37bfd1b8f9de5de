package org.kombu4j.compression;

import java.util.List;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;

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
        // Block size 9 matches Python's bz2.compress default compresslevel.
        return CodecStreams.compress(name(), data, out -> new BZip2CompressorOutputStream(out, 9));
    }

    @Override
    public byte[] decompress(byte[] data) {
        // Python's bz2.decompress(b"") returns b"".
        if (data.length == 0) {
            return data;
        }
        // Concatenated streams are accepted, as bz2.decompress does. commons-compress throws unchecked
        // exceptions on some corrupt inputs, too: CodecStreams words those as corrupt data as well.
        return CodecStreams.decompress(name(), data, limit, in -> new BZip2CompressorInputStream(in, true));
    }
}
