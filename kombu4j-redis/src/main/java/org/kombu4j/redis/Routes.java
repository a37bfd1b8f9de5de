package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ExchangeType;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.transport.virtual.ExchangeRouter;

/**
 * The exchanges' types and binding sets as last read from Redis, kept valid by Redis itself: the
 * command connection runs {@code CLIENT TRACKING on BCAST PREFIX <binding sets> PREFIX <exchange
 * types>}, so whoever changes a binding — this process, another one, Python Kombu — makes Redis push
 * an {@code invalidate} naming the key, and the entry is dropped before the next publish reads it
 * (the publisher reads whatever is waiting on the connection first). A publish can then route in
 * the client and send plain {@code LPUSH}es, instead of a Lua script that scans the binding set on
 * the server each time (Kombu sends SMEMBERS + LPUSH: two round trips and the same set scan).
 *
 * <p>The window in which a binding change is not yet seen is the push's way to us — shorter than
 * Kombu's, whose SMEMBERS reply can be stale by a whole round trip. A fill that raced with an
 * invalidation is used once and not kept ({@link #generation()}). Thread-safe.
 */
final class Routes {
    /** One exchange's routing table: its type and bindings, indexed for direct lookups. */
    static final class Table {
        private final ExchangeType type;
        private final Map<String, List<String>> direct;
        private final List<ExchangeRouter.Row> rows;

        Table(ExchangeType type, List<ExchangeRouter.Row> rows) {
            this.type = type;
            this.rows = List.copyOf(rows);
            Map<String, List<String>> d = new HashMap<>();
            if (type != ExchangeType.TOPIC && type != ExchangeType.FANOUT) {
                Map<String, Set<String>> sets = new HashMap<>();
                for (ExchangeRouter.Row r : rows) {
                    sets.computeIfAbsent(r.routingKey(), k -> new LinkedHashSet<>()).add(r.queue());
                }
                sets.forEach((k, v) -> d.put(k, List.copyOf(v)));
            }
            this.direct = d;
        }

        /** The exchange's type as recorded (direct when none or unknown, as Kombu). */
        ExchangeType type() {
            return type;
        }

        /** The bindings as read, for routing with headers (restoring Kombu's records). */
        List<ExchangeRouter.Row> rows() {
            return rows;
        }

        /** The queues a message with {@code routingKey} goes to (none for fanout: that is PUBLISHed). */
        List<String> queues(ExchangeRouter router, String routingKey) {
            switch (type) {
                case TOPIC:
                    return new ArrayList<>(router.route(type, rows, routingKey, Map.of()));
                case FANOUT:
                    return List.of();
                default: // as the publish script and Kombu: anything else routes like direct
                    return direct.getOrDefault(routingKey, List.of());
            }
        }
    }

    private final Keys keys;
    private final String bindingsPrefix;
    private final Map<String, Table> tables = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private volatile boolean enabled;

    Routes(Keys keys) {
        this.keys = keys;
        this.bindingsPrefix = keys.bindings("");
    }

    /** The tracking command that keeps this cache valid, for the command connection. */
    List<Object> trackingCommand() {
        return List.of("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", bindingsPrefix, "PREFIX", keys.exchangeTypes());
    }

    /** Whether the tracking is in place (set once the server accepted {@link #trackingCommand()}). */
    boolean enabled() {
        return enabled;
    }

    void enable() {
        clear();
        enabled = true;
    }

    void disable() {
        enabled = false;
        clear();
    }

    @Nullable Table get(String exchange) {
        return enabled ? tables.get(exchange) : null;
    }

    /** Bumped by every invalidation: a table read before a bump may be stale and is not kept. */
    long generation() {
        return generation.get();
    }

    /** Keeps {@code t} if nothing was invalidated since {@code readAt} (a {@link #generation()}). */
    void put(String exchange, Table t, long readAt) {
        if (enabled) {
            tables.put(exchange, t);
            if (generation.get() != readAt) {
                tables.remove(exchange, t); // an invalidation raced with the read
            }
        }
    }

    /** An {@code invalidate} push: {@code keys} null means everything (a flush). */
    void invalidate(@Nullable List<Object> invalidated) {
        generation.incrementAndGet();
        if (invalidated == null) {
            tables.clear();
            return;
        }
        for (Object k : invalidated) {
            String key = Resp.text(k);
            if (key.startsWith(bindingsPrefix)) {
                tables.remove(key.substring(bindingsPrefix.length()));
            } else {
                tables.clear(); // the exchange-types hash (or anything else): rare, start over
                return;
            }
        }
    }

    /** Drops everything (our own declaration changed something, or the connection was replaced). */
    void clear() {
        generation.incrementAndGet();
        tables.clear();
    }

    /** Builds a table from {@code HGET types exchange} and {@code SMEMBERS bindings} replies. */
    Table table(@Nullable Object typeReply, @Nullable Object membersReply) {
        ExchangeType type = ExchangeType.DIRECT;
        if (typeReply != null) {
            try {
                type = ExchangeType.of(Resp.text(typeReply));
            } catch (RuntimeException e) {
                type = ExchangeType.DIRECT; // an unknown type string routes like direct, as Kombu
            }
        }
        List<ExchangeRouter.Row> rows = new ArrayList<>();
        for (Object m : Resp.array(membersReply)) {
            BindingMember b = BindingMember.parse(Resp.text(m), keys.sep());
            if (b != null) {
                rows.add(new ExchangeRouter.Row(b.queue(), b.routingKey(), Map.of()));
            }
        }
        return new Table(type, rows);
    }
}
