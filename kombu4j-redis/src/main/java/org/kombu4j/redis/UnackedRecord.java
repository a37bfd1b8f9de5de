package org.kombu4j.redis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/** An {@code unacked} record (WIRE.md §6): the envelope as taken, and the exchange and routing key it was published with. */
record UnackedRecord(byte[] envelope, String exchange, String routingKey) {
    // ensure_ascii like Python's json.dumps, so the envelope written back is what Kombu wrote.
    private static final ObjectMapper JSON = new ObjectMapper(
            JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build());

    /** Parses an {@code unacked} record, {@code [envelope, exchange, routing_key]}; null if it is not one. */
    static @Nullable UnackedRecord parse(byte[] raw) {
        try {
            var node = JSON.readTree(raw);
            if (!node.isArray() || node.size() < 3) {
                return null;
            }
            return new UnackedRecord(JSON.writeValueAsBytes(node.get(0)), node.get(1).asText(""), node.get(2).asText(""));
        } catch (IOException e) {
            return null;
        }
    }
}
