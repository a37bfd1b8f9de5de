package org.kombu4j.compression;
// TEMPORARY STUB - replaced by the serial branch.
public final class Compressors {
    public static Compressors defaults() { return new Compressors(); }
    public java.util.Set<String> names() { return java.util.Set.of(); }
    public Compressor byName(String n) { throw new org.kombu4j.EncodeException("unknown compression '" + n + "'", null); }
    public java.util.Optional<Compressor> byContentType(String n) { return java.util.Optional.empty(); }
}
