package org.kombu4j.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;

/** A binding's arguments (headers-exchange matching) as the JSON text kept in the binding table. */
final class BindingArguments {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    private BindingArguments() {
    }

    static Map<String, Object> parse(@Nullable String text) {
        if (text == null || text.isEmpty()) {
            return Map.of();
        }
        try {
            return JSON.readValue(text, MAP);
        } catch (JsonProcessingException e) {
            throw new KombuException("binding arguments in the database are not JSON: " + text, e);
        }
    }

    static @Nullable String write(Map<String, Object> arguments) {
        if (arguments.isEmpty()) {
            return null;
        }
        try {
            return JSON.writeValueAsString(arguments);
        } catch (JsonProcessingException e) {
            throw new KombuException("binding arguments cannot be written as JSON: " + arguments, e);
        }
    }
}
