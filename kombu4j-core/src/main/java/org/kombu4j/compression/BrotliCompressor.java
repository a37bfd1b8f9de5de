package org.kombu4j.compression;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import java.io.IOException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.kombu4j.EncodeException;

/**
 * Kombu's {@code application/x-brotli} via brotli4j, which needs its native library for this platform
 * (an artifact such as {@code com.aayushatharva.brotli4j:native-linux-x86_64}). Only constructed when
 * {@link #loadNative()} succeeded.
 */
final class BrotliCompressor implements Compressor {
    static final String LIBRARY_CLASS = "com.aayushatharva.brotli4j.Brotli4jLoader";
    /** Python's brotli.compress default quality. */
    private static final int QUALITY = 11;

    private final long limit;

    BrotliCompressor(long limit) {
        this.limit = limit;
    }

    /** Loads the native library; returns null on success, else why it is unavailable. */
    static @Nullable Throwable loadNative() {
        try {
            Brotli4jLoader.ensureAvailability();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    @Override
    public String name() {
        return "brotli";
    }

    @Override
    public List<String> aliases() {
        return List.of();
    }

    @Override
    public String contentType() {
        return "application/x-brotli";
    }

    @Override
    public byte[] compress(byte[] data) {
        try {
            return Encoder.compress(data, new Encoder.Parameters().setQuality(QUALITY));
        } catch (IOException | RuntimeException e) {
            throw new EncodeException("cannot compress with brotli: " + e, e);
        }
    }

    @Override
    public byte[] decompress(byte[] data) {
        // Streaming, because Decoder.decompress would inflate a bomb in full before we could stop it.
        return CodecStreams.decompress(name(), data, limit, BrotliInputStream::new);
    }
}
