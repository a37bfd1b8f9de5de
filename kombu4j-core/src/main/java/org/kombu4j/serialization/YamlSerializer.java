package org.kombu4j.serialization;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Kombu's {@code yaml} ({@code application/x-yaml}, {@code utf-8}) through jackson-dataformat-yaml. Like Python's
 * {@code yaml.safe_load} it builds only plain maps, lists and scalars: Jackson never instantiates classes named
 * by YAML tags, and no polymorphic typing is enabled. Only constructed when the library is present.
 */
final class YamlSerializer extends MapperSerializer {
    static final String NAME = "yaml";
    static final String CONTENT_TYPE = "application/x-yaml";
    static final String LIBRARY_CLASS = "com.fasterxml.jackson.dataformat.yaml.YAMLFactory";
    static final String ARTIFACT = "com.fasterxml.jackson.dataformat:jackson-dataformat-yaml";

    YamlSerializer() {
        super(NAME, CONTENT_TYPE, "utf-8", mapper());
    }

    private static ObjectMapper mapper() {
        LoaderOptions loader = new LoaderOptions();
        // SnakeYAML's 3 MB default would refuse large bodies; the body is already in memory, so no limit helps.
        loader.setCodePointLimit(Integer.MAX_VALUE);
        YAMLFactory factory = YAMLFactory.builder()
                .loaderOptions(loader)
                // yaml.safe_dump writes no "---" line.
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .build();
        return YAMLMapper.builder(factory).build();
    }
}
