package org.kombu4j.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.EncodeException;
import org.kombu4j.transport.RawMessage;

/**
 * Maps a {@link RawMessage} to AMQP basic properties and back, under Kombu's names (WIRE.md §10):
 * {@code content_type}, {@code content_encoding}, {@code priority}, {@code delivery_mode},
 * {@code application_headers} (= kombu headers), {@code correlation_id}, {@code reply_to},
 * {@code expiration}, {@code message_id}, {@code timestamp}, {@code type}, {@code user_id},
 * {@code app_id}, {@code cluster_id}.
 */
final class AmqpProperties {
    private AmqpProperties() {
    }

    static AMQP.BasicProperties toAmqp(RawMessage m) {
        // One pass over the (usually two) properties present, instead of a lookup per AMQP field:
        // this runs once per publish.
        AMQP.BasicProperties.Builder b = new AMQP.BasicProperties.Builder()
                .contentType(m.contentType())
                .contentEncoding(m.contentEncoding())
                .headers(m.headers().isEmpty() ? null : table(m.headers()))
                // Kombu always sends a priority and delivery mode 2 unless told otherwise.
                .priority(m.priority())
                .deliveryMode(2);
        for (Map.Entry<String, Object> e : m.properties().entrySet()) {
            Object v = e.getValue();
            switch (e.getKey()) {
                case "delivery_mode":
                    b.deliveryMode(deliveryMode(v));
                    break;
                case "correlation_id":
                    b.correlationId(string(v));
                    break;
                case "reply_to":
                    b.replyTo(string(v));
                    break;
                case "expiration":
                    b.expiration(string(v));
                    break;
                case "message_id":
                    b.messageId(string(v));
                    break;
                case "type":
                    b.type(string(v));
                    break;
                case "user_id":
                    b.userId(string(v));
                    break;
                case "app_id":
                    b.appId(string(v));
                    break;
                case "cluster_id":
                    b.clusterId(string(v));
                    break;
                case "timestamp":
                    if (v != null) {
                        b.timestamp(timestamp(v));
                    }
                    break;
                default:
                    break; // priority is read above; others have no AMQP field (as in Kombu).
            }
        }
        return b.build();
    }

    static RawMessage fromAmqp(AMQP.@Nullable BasicProperties a, byte[] body) {
        if (a == null) {
            return new RawMessage(body, null, null, Map.of(), Map.of());
        }
        Map<String, Object> headers = a.getHeaders() == null ? Map.of() : fromTable(a.getHeaders());
        Map<String, Object> p = new LinkedHashMap<>(8);
        putIf(p, "priority", a.getPriority());
        putIf(p, "delivery_mode", a.getDeliveryMode());
        putIf(p, "correlation_id", a.getCorrelationId());
        putIf(p, "reply_to", a.getReplyTo());
        putIf(p, "expiration", a.getExpiration());
        putIf(p, "message_id", a.getMessageId());
        // AMQP timestamps are whole seconds since the epoch, which is what Kombu sends.
        putIf(p, "timestamp", a.getTimestamp() == null ? null : a.getTimestamp().getTime() / 1000);
        putIf(p, "type", a.getType());
        putIf(p, "user_id", a.getUserId());
        putIf(p, "app_id", a.getAppId());
        putIf(p, "cluster_id", a.getClusterId());
        return new RawMessage(body, a.getContentType(), a.getContentEncoding(), headers, p);
    }

    private static void putIf(Map<String, Object> m, String k, @Nullable Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    private static int deliveryMode(@Nullable Object v) {
        if (v == null) {
            return 2;
        }
        if (v instanceof Number) {
            return ((Number) v).intValue();
        }
        String s = v.toString().trim();
        if (s.equalsIgnoreCase("transient")) {
            return 1;
        }
        if (s.equalsIgnoreCase("persistent")) {
            return 2;
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new EncodeException("delivery_mode '" + s + "' must be 1, 2, 'transient' or 'persistent'", e);
        }
    }

    private static @Nullable String string(@Nullable Object v) {
        return v == null ? null : v.toString();
    }

    private static Date timestamp(Object v) {
        if (v instanceof Date) {
            return (Date) v;
        }
        if (v instanceof Instant) {
            return Date.from((Instant) v);
        }
        if (v instanceof Number) {
            return new Date(Math.round(((Number) v).doubleValue() * 1000));
        }
        throw new EncodeException("timestamp must be seconds since the epoch, a Date or an Instant, got "
                + v.getClass().getName(), null);
    }

    /** Makes a field table the client can write: string keys, nested maps and lists converted. */
    private static Map<String, Object> table(Map<String, ?> in) {
        Map<String, Object> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, toField(v)));
        return out;
    }

    private static @Nullable Object toField(@Nullable Object v) {
        if (v instanceof Map) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<?, ?>) v).forEach((k, x) -> out.put(String.valueOf(k), toField(x)));
            return out;
        }
        if (v instanceof Collection) {
            List<Object> out = new ArrayList<>();
            for (Object x : (Collection<?>) v) {
                out.add(toField(x));
            }
            return out;
        }
        if (v instanceof Object[]) {
            List<Object> out = new ArrayList<>();
            for (Object x : (Object[]) v) {
                out.add(toField(x));
            }
            return out;
        }
        if (v instanceof CharSequence || v instanceof Character || v instanceof Enum) {
            return v.toString();
        }
        if (v instanceof Instant) {
            return Date.from((Instant) v);
        }
        return v;
    }

    /** Reads a field table back: AMQP long strings become Strings, recursively, as py-amqp decodes them. */
    static Map<String, Object> fromTable(Map<String, ?> in) {
        Map<String, Object> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, fromField(v)));
        return out;
    }

    private static @Nullable Object fromField(@Nullable Object v) {
        if (v instanceof LongString) {
            return new String(((LongString) v).getBytes(), StandardCharsets.UTF_8);
        }
        if (v instanceof Map) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<?, ?>) v).forEach((k, x) -> out.put(String.valueOf(k), fromField(x)));
            return out;
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object x : (List<?>) v) {
                out.add(fromField(x));
            }
            return out;
        }
        return v;
    }
}
