package org.kombu4j.serialization;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.ContentDisallowedException;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;

class SerializersTest {
    private final Serializers registry = Serializers.defaults();

    @Test
    void defaultsHaveEveryKombuSerializerButPickle() {
        assertThat(registry.names()).containsExactly("json", "msgpack", "raw", "text", "yaml");
        assertThat(registry.byContentType("application/json")).map(Serializer::name).contains("json");
        assertThat(registry.byContentType("Application/JSON; charset=utf-8")).map(Serializer::name).contains("json");
        assertThat(registry.byContentType("application/x-msgpack")).map(Serializer::name).contains("msgpack");
        assertThat(registry.byContentType("application/x-yaml")).map(Serializer::name).contains("yaml");
        assertThat(registry.byContentType("application/x-python-serialize")).isEmpty();
        assertThat(Serializers.defaults()).isNotSameAs(Serializers.defaults());
    }

    @Test
    void encodeFollowsKombuDumps() {
        Encoded bytes = registry.encode(new byte[] {1, 2}, null);
        assertThat(bytes.contentType()).isEqualTo("application/data");
        assertThat(bytes.contentEncoding()).isEqualTo("binary");
        assertThat(bytes.body()).containsExactly(1, 2);

        Encoded text = registry.encode("héllo", null);
        assertThat(text.contentType()).isEqualTo("text/plain");
        assertThat(text.contentEncoding()).isEqualTo("utf-8");
        assertThat(text.body()).isEqualTo("héllo".getBytes(UTF_8));

        Encoded map = registry.encode(Map.of("a", 1), null);
        assertThat(map.contentType()).isEqualTo("application/json");
        assertThat(map.contentEncoding()).isEqualTo("utf-8");
        assertThat(new String(map.body(), UTF_8)).isEqualTo("{\"a\":1}");

        Encoded rawBytes = registry.encode(new byte[] {(byte) 0xff}, "raw");
        assertThat(rawBytes.contentType()).isEqualTo("application/data");
        assertThat(rawBytes.contentEncoding()).isEqualTo("binary");

        Encoded rawText = registry.encode("x", "raw");
        assertThat(rawText.contentType()).isEqualTo("application/data");
        assertThat(rawText.contentEncoding()).isEqualTo("utf-8");
        assertThat(rawText.body()).isEqualTo("x".getBytes(UTF_8));

        Encoded jsonString = registry.encode("x", "json");
        assertThat(new String(jsonString.body(), UTF_8)).isEqualTo("\"x\"");

        Encoded yaml = registry.encode(Map.of("a", 1), "yaml");
        assertThat(yaml.contentType()).isEqualTo("application/x-yaml");
        assertThat(yaml.contentEncoding()).isEqualTo("utf-8");

        Encoded msgpack = registry.encode(Map.of("a", 1), "msgpack");
        assertThat(msgpack.contentType()).isEqualTo("application/x-msgpack");
        assertThat(msgpack.contentEncoding()).isEqualTo("binary");
    }

    @Test
    void encodeRejectsWhatTheSerializerCannotTake() {
        assertThatThrownBy(() -> registry.encode(Map.of(), "raw")).isInstanceOf(EncodeException.class)
                .hasMessageContaining("raw");
        assertThatThrownBy(() -> registry.encode(Map.of(), "text")).isInstanceOf(EncodeException.class)
                .hasMessageContaining("json");
    }

    @Test
    void unknownSerializerNameListsTheKnownOnes() {
        assertThatThrownBy(() -> registry.byName("foo")).isInstanceOf(EncodeException.class)
                .hasMessage("unknown serializer 'foo': known are json, msgpack, raw, text, yaml");
        assertThatThrownBy(() -> registry.encode(1, "foo")).isInstanceOf(EncodeException.class)
                .hasMessageContaining("unknown serializer 'foo'");
    }

    @Test
    void pickleAndJavaSerializationAreRefusedByName() {
        for (String name : List.of("pickle", "java")) {
            assertThatThrownBy(() -> registry.byName(name)).isInstanceOf(EncodeException.class)
                    .hasMessageContaining("refused for security").hasMessageContaining("never supported");
            assertThatThrownBy(() -> registry.encode("x", name)).isInstanceOf(EncodeException.class)
                    .hasMessageContaining("security");
        }
    }

    @Test
    void pickleAndJavaSerializationCannotBeRegistered() {
        assertThatThrownBy(() -> registry.register(new Fake("pickle", "application/x-pickle")))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> registry.register(new Fake("mine", "application/x-java-serialized-object")))
                .isInstanceOf(ConfigurationException.class);
    }

    @Test
    void pickleAndJavaSerializationAreNeverDecodedWhateverTheAcceptList() {
        for (String ct : List.of("application/x-python-serialize", "application/x-java-serialized-object",
                "APPLICATION/X-PYTHON-SERIALIZE; foo=bar")) {
            assertThatThrownBy(() -> registry.decode(new byte[] {(byte) 0x80, 4}, ct, "binary", null))
                    .isInstanceOf(ContentDisallowedException.class)
                    .hasMessageContaining("never decoded");
            assertThatThrownBy(() -> registry.decode(new byte[] {1}, ct, "binary", Set.of(ct)))
                    .isInstanceOf(ContentDisallowedException.class);
        }
    }

    @Test
    void contentNotInTheAcceptListIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> registry.decode("a: 1".getBytes(UTF_8), "application/x-yaml", "utf-8",
                Set.of("application/json")))
                .isInstanceOf(ContentDisallowedException.class)
                .hasMessage("refusing to deserialize content type 'application/x-yaml':"
                        + " not in the accept list [application/json]");
        assertThatThrownBy(() -> registry.decode("hi".getBytes(UTF_8), "text/plain", "utf-8", Set.of()))
                .isInstanceOf(ContentDisallowedException.class).hasMessageContaining("text/plain");
    }

    @Test
    void applicationDataAndTextAreAlwaysAcceptedAndReturnedRaw() {
        Set<String> jsonOnly = Set.of("application/json");
        assertThat(registry.decode(new byte[] {(byte) 0xff}, "application/data", "binary", jsonOnly))
                .isEqualTo(new byte[] {(byte) 0xff});
        assertThat(registry.decode(new byte[] {1}, null, null, jsonOnly)).isEqualTo(new byte[] {1});
        assertThat(registry.decode(new byte[] {1}, "", "ascii-8bit", jsonOnly)).isEqualTo(new byte[] {1});
        assertThat(registry.decode("héllo".getBytes(UTF_8), "application/data", "utf-8", jsonOnly))
                .isEqualTo("héllo");
        assertThat(registry.decode("héllo".getBytes(ISO_8859_1), "application/text", "latin1", jsonOnly))
                .isEqualTo("héllo");
    }

    @Test
    void decodeUsesTheSerializerForTheContentType() {
        assertThat(registry.decode("{\"a\": [1, {\"__type__\": \"date\", \"__value__\": \"2024-01-02\"}]}"
                .getBytes(UTF_8), "application/json", "utf-8", Set.of("application/json")))
                .isEqualTo(Map.of("a", List.of(1, LocalDate.of(2024, 1, 2))));
        assertThat(registry.decode("héllo".getBytes(UTF_8), "text/plain", "utf-8", null)).isEqualTo("héllo");
        assertThat(registry.decode("héllo".getBytes(ISO_8859_1), "text/plain", "iso-8859-1", null))
                .isEqualTo("héllo");
        Encoded e = registry.encode(Map.of("k", List.of(1, 2)), "msgpack");
        assertThat(registry.decode(e.body(), e.contentType(), e.contentEncoding(), null))
                .isEqualTo(Map.of("k", List.of(1, 2)));
    }

    @Test
    void acceptedContentWithoutADecoderIsReturnedRaw() {
        assertThat(registry.decode("<a/>".getBytes(UTF_8), "application/xml", "utf-8", null)).isEqualTo("<a/>");
        assertThat(registry.decode(new byte[] {9}, "application/x-thing", "binary", Set.of("application/x-thing")))
                .isEqualTo(new byte[] {9});
    }

    @Test
    void emptyBodiesAreReturnedRawAsKombuDoes() {
        assertThat(registry.decode(new byte[0], "application/json", "utf-8", null)).isEqualTo("");
        assertThat(registry.decode(new byte[0], "application/x-msgpack", "binary", null)).isEqualTo(new byte[0]);
    }

    @Test
    void decoderFailuresAreDecodeExceptionsNamingTheContentType() {
        assertThatThrownBy(() -> registry.decode("{".getBytes(UTF_8), "application/json", "utf-8", null))
                .isInstanceOf(DecodeException.class).isNotInstanceOf(ContentDisallowedException.class)
                .hasMessageContaining("application/json");
        assertThatThrownBy(() -> registry.decode(new byte[] {(byte) 0xff}, "text/plain", "utf-8", null))
                .isInstanceOf(DecodeException.class).hasMessageContaining("text/plain");
        assertThatThrownBy(() -> registry.decode(new byte[] {1}, "application/data", "no-such-charset", null))
                .isInstanceOf(DecodeException.class).hasMessageContaining("no-such-charset");
        assertThatThrownBy(() -> registry.decode(new byte[] {(byte) 0xc1}, "application/x-msgpack", "binary", null))
                .isInstanceOf(DecodeException.class).hasMessageContaining("application/x-msgpack");
        registry.register(new Fake("boom", "application/x-boom"));
        assertThatThrownBy(() -> registry.decode(new byte[] {1}, "application/x-boom", "binary", null))
                .isInstanceOf(DecodeException.class).hasMessageContaining("application/x-boom")
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void acceptContentTypesMapsNamesAndPassesContentTypesThrough() {
        assertThat(registry.acceptContentTypes(List.of("json", "text", "raw", "msgpack", "yaml", "application/x-foo")))
                .containsExactly("application/json", "text/plain", "application/data", "application/x-msgpack",
                        "application/x-yaml", "application/x-foo");
        assertThatThrownBy(() -> registry.acceptContentTypes(List.of("json", "bogus")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'bogus'");
        assertThatThrownBy(() -> registry.acceptContentTypes(List.of("pickle")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("never decoded");
        assertThatThrownBy(() -> registry.acceptContentTypes(List.of("application/x-python-serialize")))
                .isInstanceOf(ConfigurationException.class);
    }

    @Test
    void registerReplacesBySameNameAndIsUsedForEncodeAndDecode() {
        registry.register(new Fake("json", "application/x-fake-json"));
        assertThat(registry.byName("json")).isInstanceOf(Fake.class);
        assertThat(registry.byContentType("application/json")).isEmpty();
        assertThat(registry.encode(Map.of(), null).contentType()).isEqualTo("application/x-fake-json");
        assertThat(registry.acceptContentTypes(List.of("json"))).containsExactly("application/x-fake-json");
    }

    @Test
    void concurrentUseIsSafe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        registry.register(new Fake("fake" + id + "-" + (i % 5), "application/x-fake" + id));
                        Map<String, Object> body = new LinkedHashMap<>(Map.of("i", i));
                        Encoded e = registry.encode(body, "json");
                        assertThat(registry.decode(e.body(), e.contentType(), e.contentEncoding(), null))
                                .isEqualTo(body);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(registry.names()).contains("json", "fake0-4", "fake3-0");
    }

    private record Fake(String name, String contentType) implements Serializer {
        @Override
        public String contentEncoding() {
            return "binary";
        }

        @Override
        public byte[] encode(@Nullable Object body) {
            return new byte[] {42};
        }

        @Override
        public @Nullable Object decode(byte[] data) {
            throw new IllegalStateException("fake decoder fails");
        }
    }
}
