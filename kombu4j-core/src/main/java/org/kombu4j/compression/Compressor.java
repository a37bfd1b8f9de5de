package org.kombu4j.compression;

import java.util.List;

/**
 * A compression codec under Kombu's names. Its content type travels in the message header
 * {@code compression} (WIRE.md §9); the message's own content type is unchanged.
 */
public interface Compressor {
    /** The canonical short name, e.g. {@code zlib}. */
    String name();

    /** Other names that select it, e.g. {@code gzip} for zlib. */
    List<String> aliases();

    /** The MIME name written to the {@code compression} header, e.g. {@code application/x-gzip}. */
    String contentType();

    byte[] compress(byte[] data);

    /** Throws {@link org.kombu4j.DecodeException} on corrupt input. */
    byte[] decompress(byte[] data);
}
