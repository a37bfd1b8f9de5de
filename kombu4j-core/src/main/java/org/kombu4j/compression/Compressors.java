package org.kombu4j.compression;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.kombu4j.EncodeException;
import org.kombu4j.internal.OptionalLibraries;

/**
 * A registry of {@link Compressor}s by name, alias and content type (Kombu's {@code kombu/compression.py},
 * WIRE.md §9). Each instance is independent; share one per application.
 *
 * <p>Thread-safe: lookups read an immutable snapshot, and {@link #register} swaps in a new one.
 */
public final class Compressors {
    /** The most bytes the built-in compressors will produce from one body before failing with a DecodeException. */
    public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 256L * 1024 * 1024;

    /** A compression Kombu has whose library is not on the classpath here (or whose native part did not load). */
    private record Missing(String name, List<String> aliases, String contentType, String advice) {
    }

    private final Map<String, Missing> missing;
    /** Every lower-case name, alias and content type, to its compressor. */
    private volatile Map<String, Compressor> lookup = Map.of();
    private volatile Map<String, Compressor> byName = Map.of();

    private Compressors(Map<String, Missing> missing) {
        this.missing = missing;
    }

    /**
     * A new registry with zlib (aliases gzip and {@code application/x-gzip}) and, when their libraries are on the
     * classpath, bzip2 (commons-compress), lzma/xz (org.tukaani:xz), zstd (zstd-jni) and brotli (brotli4j with
     * its native library). Decompression output is capped at {@link #DEFAULT_MAX_DECOMPRESSED_BYTES}.
     */
    public static Compressors defaults() {
        return defaults(DEFAULT_MAX_DECOMPRESSED_BYTES);
    }

    /** As {@link #defaults()}, with decompression output capped at {@code maxDecompressedBytes}. */
    public static Compressors defaults(long maxDecompressedBytes) {
        if (maxDecompressedBytes <= 0) {
            throw new IllegalArgumentException("maxDecompressedBytes must be positive: " + maxDecompressedBytes);
        }
        long limit = maxDecompressedBytes;
        List<Compressor> found = new ArrayList<>();
        Map<String, Missing> missing = new HashMap<>();
        found.add(new ZlibCompressor(limit));
        // Each optional compressor class is touched only once its library is known to load.
        if (OptionalLibraries.isPresent(Bzip2Compressor.LIBRARY_CLASS)) {
            found.add(new Bzip2Compressor(limit));
        } else {
            missing.put("bzip2", new Missing("bzip2", List.of("bzip"), "application/x-bz2",
                    "add org.apache.commons:commons-compress to the classpath"));
        }
        if (OptionalLibraries.isPresent(LzmaCompressor.LIBRARY_CLASS)) {
            found.add(new LzmaCompressor(limit));
        } else {
            missing.put("lzma", new Missing("lzma", List.of("xz"), "application/x-lzma",
                    "add org.tukaani:xz to the classpath"));
        }
        if (OptionalLibraries.isPresent(ZstdCompressor.LIBRARY_CLASS)) {
            found.add(new ZstdCompressor(limit));
        } else {
            missing.put("zstd", new Missing("zstd", List.of("zstandard"), "application/zstd",
                    "add com.github.luben:zstd-jni to the classpath"));
        }
        Throwable brotliProblem = OptionalLibraries.isPresent(BrotliCompressor.LIBRARY_CLASS)
                ? BrotliCompressor.loadNative() : null;
        if (OptionalLibraries.isPresent(BrotliCompressor.LIBRARY_CLASS) && brotliProblem == null) {
            found.add(new BrotliCompressor(limit));
        } else {
            String advice = brotliProblem == null
                    ? "add com.aayushatharva.brotli4j:brotli4j and its native artifact for this platform"
                            + " (e.g. com.aayushatharva.brotli4j:native-linux-x86_64) to the classpath"
                    : "brotli4j is present but its native library did not load (" + brotliProblem
                            + "); add the native artifact for this platform, e.g."
                            + " com.aayushatharva.brotli4j:native-linux-x86_64";
            missing.put("brotli", new Missing("brotli", List.of(), "application/x-brotli", advice));
        }
        Compressors c = new Compressors(Map.copyOf(missing));
        found.forEach(c::register);
        return c;
    }

    /**
     * Adds {@code compressor} under its name, aliases and content type (all matched case-insensitively),
     * replacing any compressor with the same name; where two share an alias or content type, the later wins.
     */
    public synchronized void register(Compressor compressor) {
        Map<String, Compressor> names = new LinkedHashMap<>(byName);
        String name = compressor.name().toLowerCase(Locale.ROOT);
        names.remove(name);
        names.put(name, compressor);
        Map<String, Compressor> keys = new HashMap<>();
        for (Compressor c : names.values()) {
            keysOf(c).forEach(k -> keys.put(k, c));
        }
        // A name always selects its own compressor, even if a later one claims it as an alias.
        names.forEach(keys::put);
        byName = Collections.unmodifiableMap(names);
        lookup = Map.copyOf(keys);
    }

    private static List<String> keysOf(Compressor c) {
        List<String> keys = new ArrayList<>();
        keys.add(c.name().toLowerCase(Locale.ROOT));
        c.aliases().forEach(a -> keys.add(a.toLowerCase(Locale.ROOT)));
        keys.add(c.contentType().toLowerCase(Locale.ROOT));
        return keys;
    }

    /**
     * The compressor for a name, alias or content type, e.g. {@code zlib}, {@code gzip} or
     * {@code application/x-gzip}.
     *
     * @throws EncodeException if none is registered, naming the known ones, or naming the library to add when
     *     it is a Kombu compression whose library is missing
     */
    public Compressor byName(String nameOrAliasOrContentType) {
        String key = nameOrAliasOrContentType.strip().toLowerCase(Locale.ROOT);
        Compressor c = lookup.get(key);
        if (c != null) {
            return c;
        }
        for (Missing m : missing.values()) {
            if (m.name.equals(key) || m.aliases.contains(key) || m.contentType.equals(key)) {
                throw new EncodeException("compression '" + nameOrAliasOrContentType + "' is not available: "
                        + m.advice, null);
            }
        }
        throw new EncodeException("unknown compression '" + nameOrAliasOrContentType + "': known are "
                + describeKnown(), null);
    }

    /** The compressor whose content type (the {@code compression} header value) is {@code mime}. */
    public Optional<Compressor> byContentType(String mime) {
        Compressor c = lookup.get(mime.strip().toLowerCase(Locale.ROOT));
        return c != null && c.contentType().equalsIgnoreCase(mime.strip()) ? Optional.of(c) : Optional.empty();
    }

    /** The registered canonical names, sorted; an unmodifiable snapshot. */
    public Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(byName.keySet()));
    }

    private String describeKnown() {
        Map<String, Compressor> sorted = new TreeMap<>(byName);
        List<String> parts = new ArrayList<>();
        for (Compressor c : sorted.values()) {
            List<String> other = new ArrayList<>(c.aliases());
            other.add(c.contentType());
            parts.add(c.name() + " (" + String.join(", ", other) + ")");
        }
        return String.join(", ", parts);
    }
}
