package org.kombu4j.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

class CompressorsTest {
    private static final Compressors REGISTRY = Compressors.defaults();

    static Stream<String> names() {
        return Stream.of("zlib", "bzip2", "lzma", "zstd", "brotli");
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(42).nextBytes(b);
        return b;
    }

    private static byte[] repetitive(int size) {
        byte[] unit = "kombu4j says hello. ".getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = unit[i % unit.length];
        }
        return b;
    }

    @Test
    void defaultsRegisterEveryCompressionWhoseLibraryIsPresent() {
        assertThat(REGISTRY.names()).containsExactly("brotli", "bzip2", "lzma", "zlib", "zstd");
        assertThat(Compressors.defaults()).isNotSameAs(REGISTRY);
    }

    @Test
    void namesAliasesAndContentTypesSelectTheSameCompressor() {
        assertThat(REGISTRY.byName("gzip")).isSameAs(REGISTRY.byName("zlib"))
                .isSameAs(REGISTRY.byName("application/x-gzip"));
        assertThat(REGISTRY.byName("bzip")).isSameAs(REGISTRY.byName("bzip2"))
                .isSameAs(REGISTRY.byName("application/x-bz2"));
        assertThat(REGISTRY.byName("xz")).isSameAs(REGISTRY.byName("lzma"))
                .isSameAs(REGISTRY.byName("application/x-lzma"));
        assertThat(REGISTRY.byName("zstandard")).isSameAs(REGISTRY.byName("zstd"))
                .isSameAs(REGISTRY.byName("application/zstd"));
        assertThat(REGISTRY.byName("BROTLI")).isSameAs(REGISTRY.byName("application/x-brotli"));
        assertThat(REGISTRY.byContentType("application/x-gzip")).containsSame(REGISTRY.byName("zlib"));
        assertThat(REGISTRY.byContentType("application/x-bz2").orElseThrow().name()).isEqualTo("bzip2");
        assertThat(REGISTRY.byContentType("application/x-lzma").orElseThrow().name()).isEqualTo("lzma");
        assertThat(REGISTRY.byContentType("application/zstd").orElseThrow().name()).isEqualTo("zstd");
        assertThat(REGISTRY.byContentType("application/x-brotli").orElseThrow().name()).isEqualTo("brotli");
        assertThat(REGISTRY.byContentType("gzip")).isEmpty();
        assertThat(REGISTRY.byContentType("application/x-nothing")).isEmpty();
    }

    @Test
    void unknownCompressionListsTheKnownOnes() {
        assertThatThrownBy(() -> REGISTRY.byName("snappy")).isInstanceOf(EncodeException.class)
                .hasMessageStartingWith("unknown compression 'snappy': known are brotli (application/x-brotli),"
                        + " bzip2 (bzip, application/x-bz2), lzma (xz, application/x-lzma),"
                        + " zlib (gzip, application/x-gzip), zstd (zstandard, application/zstd)");
    }

    @ParameterizedTest
    @MethodSource("names")
    void roundTripsEmptySmallRandomAndRepetitiveData(String name) {
        Compressor c = REGISTRY.byName(name);
        for (byte[] data : List.of(new byte[0], new byte[] {7}, "hello".getBytes(StandardCharsets.UTF_8),
                random(1 << 20), repetitive(1 << 20))) {
            byte[] packed = c.compress(data);
            assertThat(c.decompress(packed)).as("%s of %d bytes", name, data.length).isEqualTo(data);
        }
        assertThat(c.compress(repetitive(1 << 20)).length).as(name).isLessThan(1 << 14);
    }

    @Test
    void zlibWritesTheZlibFormatNotGzip() {
        byte[] packed = REGISTRY.byName("gzip").compress("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(packed[0] & 0xff).isEqualTo(0x78);
        assertThat(packed[1] & 0xff).isEqualTo(0x9c);
    }

    @Test
    void zlibAlsoReadsARealGzipStream() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write("hello".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(REGISTRY.byName("zlib").decompress(out.toByteArray())).isEqualTo("hello".getBytes());
    }

    @Test
    void zstdReadsFramesWithoutContentSize() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (com.github.luben.zstd.ZstdOutputStream z = new com.github.luben.zstd.ZstdOutputStream(out)) {
            z.write(repetitive(100_000));
        }
        assertThat(REGISTRY.byName("zstd").decompress(out.toByteArray())).isEqualTo(repetitive(100_000));
    }

    @Test
    void zstdWritesTheContentSizeThatPythonRequires() {
        byte[] packed = REGISTRY.byName("zstd").compress(repetitive(12345));
        assertThat(com.github.luben.zstd.Zstd.getFrameContentSize(packed)).isEqualTo(12345);
    }

    @Test
    void lzmaWritesXzAndReadsLegacyLzma() throws Exception {
        byte[] packed = REGISTRY.byName("lzma").compress(repetitive(1000));
        assertThat(Arrays.copyOf(packed, 6)).isEqualTo(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (org.tukaani.xz.LZMAOutputStream lz = new org.tukaani.xz.LZMAOutputStream(out,
                new org.tukaani.xz.LZMA2Options(), -1)) {
            lz.write(repetitive(1000));
        }
        assertThat(REGISTRY.byName("lzma").decompress(out.toByteArray())).isEqualTo(repetitive(1000));
    }

    @ParameterizedTest
    @MethodSource("names")
    void corruptInputIsADecodeExceptionNamingTheCompression(String name) {
        Compressor c = REGISTRY.byName(name);
        byte[] good = c.compress(text(10_000));
        byte[] flipped = good.clone();
        for (int i = Math.min(20, flipped.length / 2); i < flipped.length; i += 7) {
            flipped[i] ^= 0x5a;
        }
        byte[] truncated = Arrays.copyOf(good, good.length / 2);
        List<byte[]> bads = new ArrayList<>(List.of(random(64),
                "not compressed at all".getBytes(StandardCharsets.UTF_8), truncated));
        // Brotli (like Python's) has no checksum, so flipped payload bits may decode to other valid data.
        if (!name.equals("brotli")) {
            bads.add(flipped);
        }
        for (int i = 0; i < bads.size(); i++) {
            byte[] bad = bads.get(i);
            assertThatThrownBy(() -> c.decompress(bad)).as("%s input %d", name, i)
                    .isInstanceOf(DecodeException.class)
                    .hasMessageContaining(name);
        }
    }

    /** Compressible but irregular, so that corruption lands in entropy-coded blocks rather than stored ones. */
    private static byte[] text(int size) {
        Random rnd = new Random(7);
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) "abcdefgh".charAt(rnd.nextInt(8));
        }
        return b;
    }

    @ParameterizedTest
    @MethodSource("names")
    void decompressionStopsAtTheOutputLimit(String name) {
        Compressors small = Compressors.defaults(1000);
        Compressor c = small.byName(name);
        byte[] bomb = c.compress(new byte[100_000]);
        assertThatThrownBy(() -> c.decompress(bomb)).isInstanceOf(DecodeException.class)
                .hasMessageContaining("limit of 1000 bytes").hasMessageContaining(name);
        assertThat(c.decompress(c.compress(new byte[1000]))).hasSize(1000);
    }

    @Test
    void registerAddsAndReplaces() {
        Compressors registry = Compressors.defaults();
        Compressor identity = new Compressor() {
            @Override
            public String name() {
                return "identity";
            }

            @Override
            public List<String> aliases() {
                return List.of("none");
            }

            @Override
            public String contentType() {
                return "application/x-identity";
            }

            @Override
            public byte[] compress(byte[] data) {
                return data;
            }

            @Override
            public byte[] decompress(byte[] data) {
                return data;
            }
        };
        registry.register(identity);
        assertThat(registry.byName("None")).isSameAs(identity);
        assertThat(registry.byContentType("application/x-identity")).containsSame(identity);
        assertThat(registry.names()).contains("identity", "zlib");
    }
}
