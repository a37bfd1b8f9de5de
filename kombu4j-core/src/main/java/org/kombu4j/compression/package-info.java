/**
 * Body compression under Kombu's names (WIRE.md §9). {@link org.kombu4j.compression.Compressors} is the entry
 * point: an instance registry of {@link org.kombu4j.compression.Compressor}s that holds zlib always and bzip2,
 * lzma/xz, zstd and brotli when their optional libraries are on the classpath. Decompression is bounded, so a
 * small hostile body cannot exhaust memory. Everything here is thread-safe.
 */
@org.jspecify.annotations.NullMarked
package org.kombu4j.compression;
