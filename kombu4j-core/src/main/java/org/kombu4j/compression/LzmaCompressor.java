package org.kombu4j.compression;

import java.util.List;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * Kombu's {@code application/x-lzma}: Python's {@code lzma.compress} writes the .xz container (preset 6, CRC64),
 * and {@code lzma.decompress} also reads legacy .lzma, so both are read here. Uses org.tukaani:xz; only
 * constructed when that library is present.
 */
final class LzmaCompressor implements Compressor {
    static final String LIBRARY_CLASS = "org.tukaani.xz.XZInputStream";
    /** Caps the decoder's dictionary allocation, which a corrupt header could otherwise set to gigabytes. */
    private static final int MEMORY_LIMIT_KIB = 256 * 1024;
    private static final int MIN_DICT = 4096;

    private final long limit;

    LzmaCompressor(long limit) {
        this.limit = limit;
    }

    @Override
    public String name() {
        return "lzma";
    }

    @Override
    public List<String> aliases() {
        return List.of("xz");
    }

    @Override
    public String contentType() {
        return "application/x-lzma";
    }

    @Override
    public byte[] compress(byte[] data) {
        return CodecStreams.compress(name(), data, out -> {
            LZMA2Options options = new LZMA2Options(LZMA2Options.PRESET_DEFAULT);
            // Preset 6's 8 MiB dictionary costs ~94 MiB per call; a dictionary larger than the input gains
            // nothing, and any dictionary size decodes the same everywhere.
            options.setDictSize(Math.max(MIN_DICT, Math.min(options.getDictSize(), data.length)));
            return new XZOutputStream(out, options, XZ.CHECK_CRC64);
        });
    }

    @Override
    public byte[] decompress(byte[] data) {
        boolean xzMagic = data.length >= XZ.HEADER_MAGIC.length;
        for (int i = 0; xzMagic && i < XZ.HEADER_MAGIC.length; i++) {
            xzMagic = data[i] == XZ.HEADER_MAGIC[i];
        }
        boolean xz = xzMagic;
        return CodecStreams.decompress(name(), data, limit, in -> xz
                ? new XZInputStream(in, MEMORY_LIMIT_KIB)
                : new LZMAInputStream(in, MEMORY_LIMIT_KIB));
    }
}
