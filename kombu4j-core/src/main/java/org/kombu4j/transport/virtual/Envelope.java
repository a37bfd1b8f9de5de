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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    private static @Nullable Decoded decodeStreaming(byte[] raw) throws IOException {
        // Kombu and kombu4j write the body first ({"body": "<base64>", ...}): decode it straight from the bytes and
        // give Jackson only the small rest, so the ~1.4 KiB of base64 is not scanned twice (profiled: Jackson
        // skipping it plus our scan were a third of a SQL consumer's thread).
        int quote = bodyQuote(raw);
        if (quote > 0) {
            int end = closingQuote(raw, quote + 1);
            byte[] body = end > 0 ? base64(raw, quote + 1, end) : null;
            int comma = body == null ? -1 : skipSpace(raw, end + 1);
            if (comma > 0 && comma < raw.length && raw[comma] == ',') {
                byte[] rest = new byte[raw.length - comma];
                rest[0] = '{';
                System.arraycopy(raw, comma + 1, rest, 1, raw.length - comma - 1);
                return decodeFields(rest, body);
            }
        }
        return decodeFields(raw, null);
    }

    /** The envelope's fields from {@code json}; {@code body} is the body already decoded (then json has none). */
    @SuppressWarnings("unchecked")
    private static @Nullable Decoded decodeFields(byte[] json, byte @Nullable [] bodyRead) throws IOException {
        byte[] raw = json;
        byte[] body = bodyRead;
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
                        if (t != JsonToken.VALUE_STRING || bodyRead != null) {
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

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    /** The index of the quote opening the body's value if the envelope starts {@code {"body": "}, else -1. */
    static int bodyQuote(byte[] raw) {
        int i = skipSpace(raw, 0);
        if (i >= raw.length || raw[i] != '{') {
            return -1;
        }
        i = skipSpace(raw, i + 1);
        if (i + 6 > raw.length || raw[i] != '"' || raw[i + 1] != 'b' || raw[i + 2] != 'o' || raw[i + 3] != 'd'
                || raw[i + 4] != 'y' || raw[i + 5] != '"') {
            return -1;
        }
        i = skipSpace(raw, i + 6);
        if (i >= raw.length || raw[i] != ':') {
            return -1;
        }
        i = skipSpace(raw, i + 1);
        return i < raw.length && raw[i] == '"' ? i : -1;
    }

    /** The index of the {@code "} closing a string that starts at {@code from}; -1 if a backslash comes first or none. */
    static int closingQuote(byte[] raw, int from) {
        int i = from;
        // Eight bytes a step: a byte equal to '"' or '\\' makes (x - ONES) & ~x & HIGHS non-zero for x = w ^ that byte.
        for (; i + 8 <= raw.length; i += 8) {
            long w = (long) LONGS.get(raw, i);
            long q = w ^ 0x2222222222222222L;
            long b = w ^ 0x5C5C5C5C5C5C5C5CL;
            if (((((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS) != 0) {
                break;
            }
        }
        for (; i < raw.length; i++) {
            byte c = raw[i];
            if (c == '"') {
                return i;
            }
            if (c == '\\') {
                return -1;
            }
        }
        return -1;
    }

    private static int skipSpace(byte[] raw, int from) {
        int i = from;
        while (i < raw.length && (raw[i] == ' ' || raw[i] == '\n' || raw[i] == '\r' || raw[i] == '\t')) {
            i++;
        }
        return i;
    }

    /** Plain base64 in {@code raw[from, to)} decoded without copying it first; null if it is not plain base64. */
    private static byte @Nullable [] base64(byte[] raw, int from, int to) {
        try {
            ByteBuffer out = Base64.getDecoder().decode(ByteBuffer.wrap(raw, from, to - from));
            byte[] a = out.array();
            return out.arrayOffset() == 0 && out.position() == 0 && out.remaining() == a.length ? a
                    : Arrays.copyOfRange(a, out.arrayOffset() + out.position(), out.arrayOffset() + out.limit());
        } catch (IllegalArgumentException e) {
            return null;
        }
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
