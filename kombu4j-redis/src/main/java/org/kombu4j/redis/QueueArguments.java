package org.kombu4j.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.Resp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead-letter arguments of queues ({@code x-dead-letter-exchange}, {@code x-dead-letter-routing-key},
 * {@code x-delivery-limit}), kept in Redis in the hash {@code _kombu4j.queue.args} (queue → JSON object
 * under RabbitMQ's argument names) by {@code declareQueue}, so that every process consuming a queue
 * dead-letters the same way, whoever declared it. Read once per queue and transport, then cached;
 * a declaration through this transport refreshes the cache. Thread-safe.
 */
final class QueueArguments {
    private static final Logger log = LoggerFactory.getLogger(QueueArguments.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A queue's dead-letter arguments; all null = none. */
    record Args(@Nullable String exchange, @Nullable String routingKey, @Nullable Integer deliveryLimit) {
        static final Args NONE = new Args(null, null, null);

        boolean isNone() {
            return exchange == null && deliveryLimit == null;
        }
    }

    private final RedisTransport transport;
    private final Keys keys;
    private final Map<String, Args> cache = new ConcurrentHashMap<>();

    QueueArguments(RedisTransport transport) {
        this.transport = transport;
        this.keys = transport.keys();
    }

    /** The command that records {@code queue}'s arguments at its declaration, or null if it has none. */
    @Nullable List<Object> recordCommand(Queue queue) {
        Args a = new Args(queue.deadLetterExchange(), queue.deadLetterRoutingKey(), queue.deliveryLimit());
        if (a.isNone()) {
            // A declaration without arguments (Python's, a consumer's plain Queue.of) leaves what others
            // recorded: read it from Redis on first use.
            cache.remove(queue.name());
            return null;
        }
        cache.put(queue.name(), a);
        ObjectNode o = JSON.createObjectNode();
        if (a.exchange() != null) {
            o.put(Queue.DEAD_LETTER_EXCHANGE, a.exchange());
        }
        if (a.routingKey() != null) {
            o.put(Queue.DEAD_LETTER_ROUTING_KEY, a.routingKey());
        }
        if (a.deliveryLimit() != null) {
            o.put(Queue.DELIVERY_LIMIT, a.deliveryLimit());
        }
        return List.of("HSET", keys.queueArgs(), queue.name(), o.toString());
    }

    /** {@code queue} was deleted: forget its arguments. */
    List<Object> deleteCommand(String queue) {
        cache.remove(queue);
        return List.of("HDEL", keys.queueArgs(), queue);
    }

    /** {@code queue}'s arguments, read from Redis on first use. */
    Args of(String queue) {
        Args a = cache.get(queue);
        if (a == null) {
            a = parse(queue, transport.commands(c -> RedisTransport.check(c.call(List.of("HGET", keys.queueArgs(), queue)), "HGET")));
            cache.put(queue, a);
        }
        return a;
    }

    static Args parse(String queue, @Nullable Object raw) {
        if (raw == null) {
            return Args.NONE;
        }
        try {
            JsonNode n = JSON.readTree(Resp.text(raw));
            JsonNode ex = n.get(Queue.DEAD_LETTER_EXCHANGE);
            JsonNode rk = n.get(Queue.DEAD_LETTER_ROUTING_KEY);
            JsonNode limit = n.get(Queue.DELIVERY_LIMIT);
            return new Args(ex == null || ex.isNull() ? null : ex.asText(), rk == null || rk.isNull() ? null : rk.asText(),
                    limit == null || !limit.canConvertToInt() ? null : limit.asInt());
        } catch (IOException e) {
            log.warn("ignoring unreadable arguments of queue {} in {}: {}", queue, "_kombu4j.queue.args", e.getMessage());
            return Args.NONE;
        }
    }
}
