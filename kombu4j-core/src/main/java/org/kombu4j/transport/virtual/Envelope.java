package org.kombu4j.transport.virtual;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.DecodeException;
import org.kombu4j.transport.RawMessage;

/**
 * Kombu's message envelope (WIRE.md §1), as virtual transports store it (a Redis list item, a SQL row's payload): JSON with {@code body} (base64),
 * {@code content-type}, {@code content-encoding}, {@code headers} and {@code properties}, which carry
 * {@code delivery_info}, {@code body_encoding} and a uuid4 {@code delivery_tag}. This class reads an
 * envelope and marks it redelivered; {@link EnvelopeWriter}
 * writes one for a publish.
 */
public final class Envelope {
    // ensure_ascii like Kombu's json.dumps, so the bytes match what Python writes (shared with EnvelopeWriter).
    static final ObjectMapper JSON = new ObjectMapper(
            JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build());
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    /** A decoded envelope. {@code tag} is Kombu's delivery tag (uuid), the field name in {@code unacked}. */
    public record Decoded(RawMessage message, String exchange, String routingKey, boolean redelivered, String tag) {
    }

    private Envelope() {
    }

    /**
     * Decodes an envelope. The usual shape (an object whose base64 {@code body} Jackson can decode in
     * place) is streamed; anything else goes through the general path below, which accepts what Kombu
     * accepts (line-wrapped base64, a body that is not base64 at all).
     */
    public static Decoded decode(byte[] raw) {
        try {
            Decoded d = decodeStreaming(raw);
            if (d != null) {
                return d;
            }
        } catch (IOException | RuntimeException e) {
            // Not the usual shape: the general path decides (and reports) below.
        }
        return decodeGeneral(raw);
    }

    @SuppressWarnings("unchecked")
    private static @Nullable Decoded decodeStreaming(byte[] raw) throws IOException {
        byte[] body = null;
        String contentType = null;
        String contentEncoding = null;
        Map<String, Object> headers = Map.of();
        Map<String, Object> props = null;
        try (JsonParser p = JSON.createParser(raw)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "body":
                        if (t != JsonToken.VALUE_STRING) {
                            return null;
                        }
                        body = base64At(raw, p.currentTokenLocation().getByteOffset());
                        if (body == null) {
                            body = p.getBinaryValue(Base64Variants.MIME_NO_LINEFEEDS);
                        }
                        break;
                    case "content-type":
                        contentType = t == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                        break;
                    case "content-encoding":
                        contentEncoding = t == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                        break;
                    case "headers":
                        if (t == JsonToken.START_OBJECT) {
                            headers = p.readValueAs(MAP);
                        } else if (t != JsonToken.VALUE_NULL) {
                            return null;
                        }
                        break;
                    case "properties":
                        if (t != JsonToken.START_OBJECT) {
                            return null;
                        }
                        props = p.readValueAs(MAP);
                        break;
                    default:
                        p.skipChildren();
                }
            }
        }
        if (body == null || props == null || !"base64".equals(props.remove("body_encoding"))) {
            return null;
        }
        return decoded(body, contentType, contentEncoding, headers, props);
    }

    /** The message and Kombu's delivery fields, taken out of {@code props} (which the message then keeps). */
    @SuppressWarnings("unchecked")
    private static Decoded decoded(byte[] body, @Nullable String contentType, @Nullable String contentEncoding,
            Map<String, Object> headers, Map<String, Object> props) {
        Object di = props.remove("delivery_info");
        Map<String, Object> info = di instanceof Map ? (Map<String, Object>) di : Map.of();
        Object tag = props.remove("delivery_tag");
        boolean redelivered = Boolean.TRUE.equals(info.get("redelivered")) || Boolean.TRUE.equals(headers.get("redelivered"));
        RawMessage m = new RawMessage(body, contentType, contentEncoding, headers, props);
        return new Decoded(m, String.valueOf(info.getOrDefault("exchange", "")), String.valueOf(info.getOrDefault("routing_key", "")),
                redelivered, tag == null ? "" : String.valueOf(tag));
    }

    /**
     * The base64 string token starting at {@code quote} decoded straight from the envelope's bytes
     * (the JDK's decoder, without building a String); null if it is not plain base64 there.
     */
    private static byte @Nullable [] base64At(byte[] raw, long quote) {
        if (quote < 0 || quote >= raw.length || raw[(int) quote] != '"') {
            return null;
        }
        int start = (int) quote + 1;
        int end = start;
        while (end < raw.length && raw[end] != '"' && raw[end] != '\\') {
            end++;
        }
        if (end >= raw.length || raw[end] != '"') {
            return null;
        }
        try {
            return Base64.getDecoder().decode(Arrays.copyOfRange(raw, start, end));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private static Decoded decodeGeneral(byte[] raw) {
        Map<String, Object> env;
        try {
            env = JSON.readValue(raw, MAP);
        } catch (IOException e) {
            throw new DecodeException("stored message is not a Kombu envelope (JSON): " + e.getMessage(), e);
        }
        Object p = env.get("properties");
        Map<String, Object> props = p instanceof Map ? new LinkedHashMap<>((Map<String, Object>) p) : new LinkedHashMap<>();
        Object h = env.get("headers");
        Map<String, Object> headers = h instanceof Map ? (Map<String, Object>) h : Map.of();
        Object enc = props.remove("body_encoding");
        Object b = env.get("body");
        byte[] body;
        if (b == null) {
            body = new byte[0];
        } else if ("base64".equals(enc)) {
            try {
                body = Base64.getMimeDecoder().decode(String.valueOf(b));
            } catch (IllegalArgumentException e) {
                throw new DecodeException("message body is not valid base64", e);
            }
        } else {
            body = String.valueOf(b).getBytes(StandardCharsets.UTF_8);
        }
        return decoded(body, str(env.get("content-type")), str(env.get("content-encoding")), headers, props);
    }

    private static @Nullable String str(@Nullable Object o) {
        return o == null ? null : String.valueOf(o);
    }

    /** The same envelope marked redelivered as Kombu does (§1): {@code headers.redelivered}, {@code delivery_info.redelivered}. */
    public static byte[] markRedelivered(byte[] raw) {
        try {
            ObjectNode env = (ObjectNode) JSON.readTree(raw);
            ObjectNode headers = env.get("headers") instanceof ObjectNode ? (ObjectNode) env.get("headers") : env.putObject("headers");
            headers.put("redelivered", true);
            ObjectNode props = env.get("properties") instanceof ObjectNode ? (ObjectNode) env.get("properties")
                    : env.putObject("properties");
            ObjectNode info = props.get("delivery_info") instanceof ObjectNode ? (ObjectNode) props.get("delivery_info")
                    : props.putObject("delivery_info");
            info.put("redelivered", true);
            return JSON.writeValueAsBytes(env);
        } catch (IOException | ClassCastException e) {
            return raw; // not ours to fix: restore it as it was rather than lose it
        }
    }

    public static Map<String, Object> headersOf(byte[] raw) {
        try {
            Map<String, Object> env = JSON.readValue(raw, MAP);
            Object h = env.get("headers");
            if (h instanceof Map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) h;
                return m;
            }
        } catch (IOException ignored) {
            // Not an envelope: no headers.
        }
        return Map.of();
    }

    public static int priorityOf(byte[] raw) {
        try {
            var node = JSON.readTree(raw).path("properties").path("priority");
            return node.isNumber() ? node.asInt() : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
