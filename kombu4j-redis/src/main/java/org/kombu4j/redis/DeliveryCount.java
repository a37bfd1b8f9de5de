package org.kombu4j.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * How many times a message went back to its queue, kept in its envelope as the header
 * {@code x-delivery-count} (RabbitMQ quorum queues' name), so the count travels with the message
 * through every restore — a reject with requeue, a channel closing, the visibility restore of a
 * consumer that died — and every process sees it. Python Kombu's own restores do not raise it.
 */
final class DeliveryCount {
    static final String HEADER = "x-delivery-count";
    private static final byte[] NEEDLE = ("\"" + HEADER + "\"").getBytes(StandardCharsets.US_ASCII);
    // ensure_ascii like Python's json.dumps, so the envelope written back reads as Kombu's.
    private static final ObjectMapper JSON = new ObjectMapper(
            JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build());

    private DeliveryCount() {
    }

    /**
     * The envelope going back to its queue: marked redelivered as Kombu does (WIRE.md §1) and its
     * count raised by one. An envelope that is not JSON is returned unchanged rather than lost.
     */
    static byte[] markReturned(byte[] raw) {
        try {
            ObjectNode env = (ObjectNode) JSON.readTree(raw);
            ObjectNode headers = env.get("headers") instanceof ObjectNode h ? h : env.putObject("headers");
            headers.put("redelivered", true);
            headers.put(HEADER, count(headers) + 1);
            ObjectNode props = env.get("properties") instanceof ObjectNode p ? p : env.putObject("properties");
            ObjectNode info = props.get("delivery_info") instanceof ObjectNode i ? i : props.putObject("delivery_info");
            info.put("redelivered", true);
            return JSON.writeValueAsBytes(env);
        } catch (IOException | ClassCastException e) {
            return raw;
        }
    }

    /** The count in {@code raw}; 0 when absent or unreadable. Cheap for envelopes that never went back. */
    static long of(byte[] raw) {
        if (!contains(raw, NEEDLE)) {
            return 0;
        }
        try {
            JsonNode headers = JSON.readTree(raw).path("headers");
            return headers instanceof ObjectNode h ? count(h) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static long count(ObjectNode headers) {
        JsonNode n = headers.get(HEADER);
        return n != null && n.canConvertToLong() ? n.asLong() : 0;
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
