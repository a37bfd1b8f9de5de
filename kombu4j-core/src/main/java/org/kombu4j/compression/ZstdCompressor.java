package org.kombu4j.compression;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import java.util.List;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

/**
 * Kombu's {@code application/zstd} via zstd-jni. Frames are written with their content size, which Python's
 * {@code ZstdDecompressor().decompress} requires; frames without it (streamed by other writers) are read too,
 * since decompression streams. Only constructed when zstd-jni is present.
 */
final class ZstdCompressor implements Compressor {
    static final String LIBRARY_CLASS = "com.github.luben.zstd.Zstd";
    /** python-zstandard's default level. */
    private static final int LEVEL = 3;

    private final long limit;

    ZstdCompressor(long limit) {
        this.limit = limit;
    }

    @Override
    public String name() {
        return "zstd";
    }

    @Override
    public List<String> aliases() {
        return List.of("zstandard");
    }

    @Override
    public String contentType() {
        return "application/zstd";
    }

    @Override
    public byte[] compress(byte[] data) {
        try {
            return Zstd.compress(data, LEVEL);
        } catch (RuntimeException e) {
            throw new EncodeException("cannot compress with zstd: " + e, e);
        }
    }

    @Override
    public byte[] decompress(byte[] data) {
        if (data.length == 0) {
            throw new DecodeException("cannot decompress zstd: empty input is not a zstd frame", null);
        }
        return CodecStreams.decompress(name(), data, limit, ZstdInputStream::new);
    }
}
