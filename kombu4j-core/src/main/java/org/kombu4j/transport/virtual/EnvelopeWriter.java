package org.kombu4j.transport.virtual;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.kombu4j.EncodeException;
import org.kombu4j.transport.RawMessage;

/**
 * Writes Kombu's message envelope (WIRE.md §1) for a publish: {@link Envelope} reads it. A hand-written
 * fast path for the usual message and Jackson for everything else, byte for byte the same.
 */
public final class EnvelopeWriter {
    private EnvelopeWriter() {
    }

    public static byte[] encode(String exchange, String routingKey, RawMessage m) {
        return encode(exchange, routingKey, m, deliveryTag());
    }

    /** {@link #encode(String, String, RawMessage)} with a given delivery tag (tests compare the two writers). */
    public static byte[] encode(String exchange, String routingKey, RawMessage m, String tag) {
        byte[] fast = Plain.encode(exchange, routingKey, m, tag);
        return fast != null ? fast : encodeWithJackson(exchange, routingKey, m, tag);
    }

    /** The reference writer: Jackson, for every envelope {@link Plain} leaves alone. */
    public static byte[] encodeWithJackson(String exchange, String routingKey, RawMessage m, String tag) {
        // Streamed rather than built as maps; the body's base64 (standard alphabet, padded, no line
        // feeds — what Python's b64encode gives) is copied in as bytes, not made a String and then
        // escape-scanned char by char.
        ByteArrayBuilder out = new ByteArrayBuilder(m.body().length * 4 / 3 + 512);
        try (JsonGenerator g = Envelope.JSON.getFactory().createGenerator(out)) {
            g.setCodec(Envelope.JSON);
            g.writeStartObject();
            g.writeFieldName("body");
            byte[] b64 = Base64.getEncoder().encode(m.body()); // base64 needs no escaping: copied as is
            g.writeRawUTF8String(b64, 0, b64.length);
            g.writeStringField("content-encoding", m.contentEncoding());
            g.writeStringField("content-type", m.contentType());
            g.writeFieldName("headers");
            g.writeObject(m.headers());
            g.writeObjectFieldStart("properties");
            Map<String, Object> props = m.properties();
            for (Map.Entry<String, Object> e : props.entrySet()) {
                String k = e.getKey();
                if (!skippedProperty(k)) {
                    g.writeFieldName(k);
                    g.writeObject(e.getValue());
                }
            }
            if (!props.containsKey("delivery_mode")) {
                g.writeNumberField("delivery_mode", 2);
            }
            if (!props.containsKey("priority")) {
                g.writeNumberField("priority", 0);
            }
            g.writeObjectFieldStart("delivery_info");
            g.writeStringField("exchange", exchange);
            g.writeStringField("routing_key", routingKey);
            g.writeEndObject();
            g.writeStringField("body_encoding", "base64");
            g.writeStringField("delivery_tag", tag);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new EncodeException("cannot write the Kombu envelope: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Properties the envelope sets itself, whatever the message carried. */
    private static boolean skippedProperty(String k) {
        return k.equals("delivery_info") || k.equals("body_encoding") || k.equals("delivery_tag");
    }

    /**
     * The envelope writer for the usual message: headers and properties made of maps, lists, ASCII
     * strings, integers, finite doubles, booleans and null. It writes exactly the bytes
     * {@link #encodeWithJackson} writes (a randomized test holds them equal) into one buffer per
     * thread, reused. Written by hand because the envelope is most of a Redis publish's client time:
     * JFR of {@code publish-async} showed Jackson's generator setup, its per-call buffers and its
     * char-by-char string writes as ~40% of the publishing thread. Anything else (non-ASCII or
     * control characters, other value types) returns null and goes to Jackson.
     */
    private static final class Plain {
        private static final ThreadLocal<Plain> LOCAL = ThreadLocal.withInitial(Plain::new);
        private static final int KEEP_BYTES = 1 << 20;
        private static final int MAX_DEPTH = 50;
        private static final byte[] HEAD = "{\"body\":\"".getBytes(StandardCharsets.US_ASCII);
        private byte[] buf = new byte[4096];
        private byte[] b64 = new byte[4096];
        private int pos;

        static byte @Nullable [] encode(String exchange, String routingKey, RawMessage m, String tag) {
            Plain w = LOCAL.get();
            try {
                return w.write(exchange, routingKey, m, tag) ? Arrays.copyOf(w.buf, w.pos) : null;
            } finally {
                if (w.buf.length > KEEP_BYTES) {
                    w.buf = new byte[4096];
                    w.b64 = new byte[4096];
                }
            }
        }

        private boolean write(String exchange, String routingKey, RawMessage m, String tag) {
            pos = 0;
            byte[] body = m.body();
            int n64 = 4 * ((body.length + 2) / 3);
            if (b64.length < n64) {
                b64 = new byte[Math.max(n64, b64.length * 2)];
            }
            Base64.getEncoder().encode(body, b64); // the JDK's intrinsic; standard alphabet, padded
            raw(HEAD, HEAD.length);
            raw(b64, n64);
            if (!field("\",\"content-encoding\":", m.contentEncoding())
                    || !field(",\"content-type\":", m.contentType())) {
                return false;
            }
            ascii(",\"headers\":");
            if (!value(m.headers(), 0)) {
                return false;
            }
            ascii(",\"properties\":{");
            Map<String, Object> props = m.properties();
            int written = entries(props, 1, true);
            if (written < 0) {
                return false;
            }
            boolean first = written == 0;
            if (!props.containsKey("delivery_mode")) {
                ascii(first ? "\"delivery_mode\":2" : ",\"delivery_mode\":2");
                first = false;
            }
            if (!props.containsKey("priority")) {
                ascii(first ? "\"priority\":0" : ",\"priority\":0");
                first = false;
            }
            ascii(first ? "\"delivery_info\":{\"exchange\":" : ",\"delivery_info\":{\"exchange\":");
            if (!string(exchange)) {
                return false;
            }
            ascii(",\"routing_key\":");
            if (!string(routingKey)) {
                return false;
            }
            ascii("},\"body_encoding\":\"base64\",\"delivery_tag\":");
            if (!string(tag)) {
                return false;
            }
            ascii("}}");
            return true;
        }

        private boolean field(String name, @Nullable String v) {
            ascii(name);
            if (v == null) {
                ascii("null");
                return true;
            }
            return string(v);
        }

        private boolean value(@Nullable Object v, int depth) {
            if (v == null) {
                ascii("null");
            } else if (v instanceof String s) {
                return string(s);
            } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                ascii(Long.toString(((Number) v).longValue()));
            } else if (v instanceof Boolean b) {
                ascii(b ? "true" : "false");
            } else if (v instanceof Double d) {
                if (!Double.isFinite(d)) {
                    return false;
                }
                ascii(Double.toString(d));
            } else if (v instanceof Map<?, ?> map) {
                // Depth 0 is RawMessage's own headers map; below it, a user's Map subclass may carry
                // Jackson annotations or a serializer of its own: Jackson's business.
                if (depth >= MAX_DEPTH || (depth > 0 && !map.getClass().getName().startsWith("java.util."))) {
                    return false;
                }
                put('{');
                if (entries(map, depth + 1, false) < 0) {
                    return false;
                }
                put('}');
            } else if (v instanceof List<?> list) {
                if (depth >= MAX_DEPTH || !list.getClass().getName().startsWith("java.util.")) {
                    return false;
                }
                put('[');
                for (int i = 0, n = list.size(); i < n; i++) {
                    if (i > 0) {
                        put(',');
                    }
                    if (!value(list.get(i), depth + 1)) {
                        return false;
                    }
                }
                put(']');
            } else {
                return false;
            }
            return true;
        }

        /**
         * A map's members, comma-separated, without braces; with {@code properties}, the keys the envelope
         * sets itself are left out. Returns how many were written, or -1 if one is not plain.
         */
        private int entries(Map<?, ?> map, int depth, boolean properties) {
            int n = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    return -1;
                }
                if (properties && skippedProperty(k)) {
                    continue;
                }
                if (n++ > 0) {
                    put(',');
                }
                if (!string(k)) {
                    return -1;
                }
                put(':');
                if (!value(e.getValue(), depth)) {
                    return -1;
                }
            }
            return n;
        }

        /** A quoted string of printable ASCII, with {@code "} and {@code \\} escaped; false for anything else. */
        private boolean string(String s) {
            int n = s.length();
            ensure(2 * n + 2);
            byte[] o = buf;
            int p = pos;
            o[p++] = '"';
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c < 0x20 || c > 0x7E) {
                    return false;
                }
                if (c == '"' || c == '\\') {
                    o[p++] = '\\';
                }
                o[p++] = (byte) c;
            }
            o[p++] = '"';
            pos = p;
            return true;
        }

        private void ascii(String s) {
            int n = s.length();
            ensure(n);
            s.getBytes(0, n, buf, pos); // ASCII only: the deprecated byte copy is exact and the cheapest
            pos += n;
        }

        private void raw(byte[] b, int n) {
            ensure(n);
            System.arraycopy(b, 0, buf, pos, n);
            pos += n;
        }

        private void put(char c) {
            ensure(1);
            buf[pos++] = (byte) c;
        }

        private void ensure(int more) {
            if (pos + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
            }
        }
    }

    /**
     * A uuid4-shaped delivery tag, as Kombu's. It must be unique, not unguessable, so it comes from
     * the thread's fast generator instead of {@link UUID#randomUUID()}'s SecureRandom (one shared lock).
     */
    static String deliveryTag() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & ~0xF000L) | 0x4000L; // version 4
        long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        return new UUID(msb, lsb).toString();
    }
}
