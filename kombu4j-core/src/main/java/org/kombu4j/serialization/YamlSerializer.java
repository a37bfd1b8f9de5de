package org.kombu4j.serialization;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.deser.std.UntypedObjectDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.math.BigDecimal;
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
        // Floats as PyYAML writes them: Java's "1.0E100" has no exponent sign, which YAML 1.1 (and so
        // yaml.safe_load) reads as the string '1.0E100'; "NaN" and "Infinity" are strings there too.
        SimpleModule floats = new SimpleModule("kombu4j-yaml-floats");
        floats.addSerializer(Double.class, new PyYamlFloat<>(Double.class));
        floats.addSerializer(double.class, new PyYamlFloat<>(Double.class));
        floats.addSerializer(Float.class, new PyYamlFloat<>(Float.class));
        floats.addSerializer(float.class, new PyYamlFloat<>(Float.class));
        floats.addSerializer(BigDecimal.class, new PyYamlFloat<>(BigDecimal.class));
        // ...and read them back: Jackson sees ".inf" as a number it cannot parse and fails the whole body.
        floats.addDeserializer(Object.class, new SpecialFloats());
        return YAMLMapper.builder(factory).addModule(floats).build();
    }

    /** Plain maps, lists and scalars as usual, plus YAML 1.1's {@code .inf}, {@code -.inf}, {@code .nan}. */
    private static final class SpecialFloats extends UntypedObjectDeserializer {
        private static final long serialVersionUID = 1L;

        SpecialFloats() {
            super((com.fasterxml.jackson.databind.JavaType) null, (com.fasterxml.jackson.databind.JavaType) null);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
                String t = p.getText();
                if (t.length() >= 4 && t.length() <= 5 && t.toLowerCase(java.util.Locale.ROOT).matches("[-+]?\\.inf|\\.nan")) {
                    String lower = t.toLowerCase(java.util.Locale.ROOT);
                    return lower.equals(".nan") ? Double.NaN
                            : lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                }
            }
            return super.deserialize(p, ctxt);
        }
    }

    /** A float in YAML 1.1 form, e.g. {@code 1.0e+100}, {@code 2.5e-07}, {@code .inf}, {@code -.inf}, {@code .nan}. */
    static String pyYamlFloat(double d) {
        if (Double.isNaN(d)) {
            return ".nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? ".inf" : "-.inf";
        }
        String s = Double.toString(d).toLowerCase(java.util.Locale.ROOT);
        int e = s.indexOf('e');
        if (e >= 0 && s.charAt(e + 1) != '-') {
            s = s.substring(0, e + 1) + "+" + s.substring(e + 1);
        }
        return s;
    }

    private static final class PyYamlFloat<T extends Number> extends StdSerializer<T> {
        private static final long serialVersionUID = 1L;

        PyYamlFloat(Class<T> type) {
            super(type);
        }

        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            // A BigDecimal too: PyYAML reads every YAML float as a Python float (a double).
            gen.writeNumber(pyYamlFloat(value.doubleValue()));
        }
    }
}
