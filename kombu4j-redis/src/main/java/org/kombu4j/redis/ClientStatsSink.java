package org.kombu4j.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;
import org.kombu4j.transport.ClientStats;

/**
 * Writes a Redis transport's {@link ClientStats} in one pipeline: {@code HINCRBY _kombu4j.stats published.<queue> n}
 * (and {@code delivered.<queue>}) per queue that changed, and {@code HSET _kombu4j.consumers <client id>
 * {"expires":<epoch ms>,"queues":{"<queue>":<consumers>}}} (or {@code HDEL} when it has none left). The totals
 * only grow; a monitor reads them twice and divides. Records of clients that died stay until
 * {@link #prune} (run by every client about once a minute) removes those long expired.
 */
final class ClientStatsSink implements ClientStats.Sink {
    static final String PUBLISHED = "published.";
    static final String DELIVERED = "delivered.";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A record expired this long ago is removed by whichever client prunes next. */
    static final long PRUNE_AFTER_MS = 60_000;

    private final RedisTransport transport;
    private long lastPrune;

    ClientStatsSink(RedisTransport transport) {
        this.transport = transport;
    }

    @Override
    public void write(Map<String, long[]> counts, @Nullable Map<String, Integer> consumers, String id, long expiresAtMillis) {
        if (!transport.isConnected()) {
            // Not from this thread: connecting is the caller's business; the counts wait in memory.
            throw new OperationalException("not connected");
        }
        Keys keys = transport.keys();
        List<List<Object>> cmds = new ArrayList<>(counts.size() * 2 + 1);
        counts.forEach((queue, n) -> {
            if (n[0] != 0) {
                cmds.add(List.of("HINCRBY", keys.stats(), PUBLISHED + queue, Long.toString(n[0])));
            }
            if (n[1] != 0) {
                cmds.add(List.of("HINCRBY", keys.stats(), DELIVERED + queue, Long.toString(n[1])));
            }
        });
        if (consumers != null) {
            cmds.add(consumers.isEmpty() ? List.of("HDEL", keys.consumers(), id)
                    : List.of("HSET", keys.consumers(), id, encode(consumers, expiresAtMillis)));
        }
        long now = expiresAtMillis - ClientStats.EXPIRY_MS;
        boolean prune = now - lastPrune > PRUNE_AFTER_MS;
        if (prune) {
            cmds.add(List.of("HGETALL", keys.consumers()));
        }
        List<Object> r = transport.commands(c -> c.pipeline(cmds));
        for (int i = 0; i < r.size(); i++) {
            RedisTransport.check(r.get(i), String.valueOf(cmds.get(i).get(0)));
        }
        if (prune) {
            lastPrune = now;
            prune(r.get(r.size() - 1), now);
        }
    }

    /** Deletes the consumer records that expired over {@link #PRUNE_AFTER_MS} ago (their processes died). */
    private void prune(@Nullable Object all, long now) {
        List<Object> dead = new ArrayList<>();
        consumerRecords(all, (id, rec) -> {
            if (rec.expires() < now - PRUNE_AFTER_MS) {
                dead.add(id);
            }
        });
        if (!dead.isEmpty()) {
            List<Object> cmd = new ArrayList<>(dead.size() + 2);
            cmd.add("HDEL");
            cmd.add(transport.keys().consumers());
            cmd.addAll(dead);
            transport.commands(c -> RedisTransport.check(c.call(cmd), "HDEL"));
        }
    }

    static String encode(Map<String, Integer> consumers, long expiresAtMillis) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("expires", expiresAtMillis);
        m.put("queues", consumers);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One client's consumer record. */
    record Record(long expires, Map<String, Integer> queues) {
    }

    interface RecordVisitor {
        void visit(String id, Record record);
    }

    /** Calls {@code visitor} for each readable record of an {@code HGETALL} reply; unreadable ones are skipped. */
    static void consumerRecords(@Nullable Object hgetall, RecordVisitor visitor) {
        List<Object> flat = RedisStats.flat(hgetall);
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            String id = org.kombu4j.redis.internal.Resp.text(flat.get(i));
            Object v = flat.get(i + 1);
            try {
                JsonNode n = JSON.readTree(v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(v));
                Map<String, Integer> queues = new LinkedHashMap<>();
                n.path("queues").fields().forEachRemaining(e -> queues.put(e.getKey(), e.getValue().asInt()));
                visitor.visit(id, new Record(n.path("expires").asLong(), queues));
            } catch (JsonProcessingException e) {
                // Not ours to judge: a record some other version wrote; it counts no consumer.
            }
        }
    }
}
