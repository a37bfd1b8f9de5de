package org.kombu4j.serialization;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Kombu's {@code yaml} ({@code application/x-yaml}, {@code utf-8}) through jackson-dataformat-yaml. Like Python's
 * {@code yaml.safe_load} it builds only plain maps, lists and scalars: Jackson never instantiates classes named
 * by YAML tags, and no polymorphic typing is enabled. Only constructed when the library is present.
 */
final class YamlSerializer implements Serializer {
    static final String NAME = "yaml";
    static final String CONTENT_TYPE = "application/x-yaml";
    static final String LIBRARY_CLASS = "com.fasterxml.jackson.dataformat.yaml.YAMLFactory";
    static final String ARTIFACT = "com.fasterxml.jackson.dataformat:jackson-dataformat-yaml";

    private final ObjectMapper mapper;

    YamlSerializer() {
        LoaderOptions loader = new LoaderOptions();
        // SnakeYAML's 3 MB default would refuse large bodies; the body is already in memory, so no limit helps.
        loader.setCodePointLimit(Integer.MAX_VALUE);
        YAMLFactory factory = YAMLFactory.builder()
                .loaderOptions(loader)
                // yaml.safe_dump writes no "---" line.
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .build();
        this.mapper = YAMLMapper.builder(factory).build();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public String contentEncoding() {
        return "utf-8";
    }

    @Override
    public byte[] encode(@Nullable Object body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new EncodeException("cannot encode " + JsonSerializer.typeName(body) + " as yaml: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public @Nullable Object decode(byte[] data) {
        try {
            return mapper.readValue(data, Object.class);
        } catch (IOException e) {
            throw new DecodeException("cannot decode " + CONTENT_TYPE + ": " + e.getMessage(), e);
        }
    }
}
