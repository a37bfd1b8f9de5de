package org.kombu4j.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.kombu4j.DecodeException;
import org.kombu4j.EncodeException;
import org.kombu4j.transport.RawMessage;

/**
 * Kombu's message envelope in a Redis list (WIRE.md §1): JSON with {@code body} (base64),
 * {@code content-type}, {@code content-encoding}, {@code headers} and {@code properties}, which carry
 * {@code delivery_info}, {@code body_encoding} and a uuid4 {@code delivery_tag}.
 */
final class Envelope {
    // ensure_ascii like Kombu's json.dumps, so the bytes match what Python writes.
    private static final ObjectMapper JSON = new ObjectMapper(
            JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build());
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    /** A decoded envelope. {@code tag} is Kombu's delivery tag (uuid), the field name in {@code unacked}. */
    record Decoded(RawMessage message, String exchange, String routingKey, boolean redelivered, String tag) {
    }

    private Envelope() {
    }

    static byte[] encode(String exchange, String routingKey, RawMessage m) {
        Map<String, Object> props = new LinkedHashMap<>(m.properties());
        props.putIfAbsent("delivery_mode", 2);
        props.putIfAbsent("priority", 0);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("exchange", exchange);
        info.put("routing_key", routingKey);
        props.put("delivery_info", info);
        props.put("body_encoding", "base64");
        props.put("delivery_tag", UUID.randomUUID().toString());
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("body", Base64.getEncoder().encodeToString(m.body()));
        env.put("content-encoding", m.contentEncoding());
        env.put("content-type", m.contentType());
        env.put("headers", m.headers());
        env.put("properties", props);
        try {
            return JSON.writeValueAsBytes(env);
        } catch (JsonProcessingException e) {
            throw new EncodeException("cannot write the Redis envelope: " + e.getOriginalMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    static Decoded decode(byte[] raw) {
        Map<String, Object> env;
        try {
            env = JSON.readValue(raw, MAP);
        } catch (IOException e) {
            throw new DecodeException("message in Redis is not a Kombu envelope (JSON): " + e.getMessage(), e);
        }
        Object p = env.get("properties");
        Map<String, Object> props = p instanceof Map ? new LinkedHashMap<>((Map<String, Object>) p) : new LinkedHashMap<>();
        Object h = env.get("headers");
        Map<String, Object> headers = h instanceof Map ? (Map<String, Object>) h : Map.of();
        Object di = props.remove("delivery_info");
        Map<String, Object> info = di instanceof Map ? (Map<String, Object>) di : Map.of();
        Object enc = props.remove("body_encoding");
        Object tag = props.remove("delivery_tag");
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
        boolean redelivered = Boolean.TRUE.equals(info.get("redelivered")) || Boolean.TRUE.equals(headers.get("redelivered"));
        RawMessage m = new RawMessage(body, str(env.get("content-type")), str(env.get("content-encoding")), headers, props);
        return new Decoded(m, String.valueOf(info.getOrDefault("exchange", "")), String.valueOf(info.getOrDefault("routing_key", "")),
                redelivered, tag == null ? "" : String.valueOf(tag));
    }

    private static @Nullable String str(@Nullable Object o) {
        return o == null ? null : String.valueOf(o);
    }

    /** The same envelope marked redelivered as Kombu does (§1): {@code headers.redelivered}, {@code delivery_info.redelivered}. */
    static byte[] markRedelivered(byte[] raw) {
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

    /** Parses an {@code unacked} record: {@code [envelope, exchange, routing_key]}. */
    static @Nullable Object[] parseUnackedRecord(byte[] raw) {
        try {
            var node = JSON.readTree(raw);
            if (!node.isArray() || node.size() < 3) {
                return null;
            }
            return new Object[] {JSON.writeValueAsBytes(node.get(0)), node.get(1).asText(""), node.get(2).asText("")};
        } catch (IOException e) {
            return null;
        }
    }

    static Map<String, Object> headersOf(byte[] raw) {
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

    static int priorityOf(byte[] raw) {
        try {
            var node = JSON.readTree(raw).path("properties").path("priority");
            return node.isNumber() ? node.asInt() : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
