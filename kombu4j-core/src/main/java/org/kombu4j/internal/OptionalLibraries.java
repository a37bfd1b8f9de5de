package org.kombu4j.internal;

/**
 * Whether an optional library (a codec's: msgpack, yaml, bzip2, lzma, zstd, brotli) is on the classpath, asked
 * without initializing it, so that the registries can offer exactly what is present.
 */
public final class OptionalLibraries {
    private OptionalLibraries() {
    }

    /** Whether {@code className} can be loaded by kombu4j's class loader. */
    public static boolean isPresent(String className) {
        try {
            Class.forName(className, false, OptionalLibraries.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
