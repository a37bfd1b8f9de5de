package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ExchangeType;
import org.kombu4j.redis.internal.Resp;

/**
 * Which fanout exchanges (by {@code _kombu4j.exchange.types}) have a binding row for a queue, as one
 * {@link RedisChannel}'s consume calls ask. One read of the types hash and the fanout binding sets
 * serves a whole batch of consume calls (10,000 queues = 1 read, not 10,000): the snapshot is dropped
 * by the next subscription sync, by any declare/bind/unbind through the transport, and after
 * {@link #MAX_AGE_NANOS}.
 */
final class FanoutBindings {
    /** How long a snapshot may serve consume calls if no subscription sync ends the batch first. */
    private static final long MAX_AGE_NANOS = 1_000_000_000L;

    private final RedisTransport transport;
    private final Keys keys;
    private volatile @Nullable Snapshot snapshot;

    private record Snapshot(long readAtNanos, Map<String, Set<String>> exchangesByQueue) {
    }

    FanoutBindings(RedisTransport transport) {
        this.transport = transport;
        this.keys = transport.keys();
    }

    /** The fanout exchanges with a binding row for {@code queue}. */
    Set<String> of(String queue) {
        Snapshot snap = snapshot;
        if (snap == null || transport.ticker().nanoTime() - snap.readAtNanos() > MAX_AGE_NANOS) {
            snap = read();
            snapshot = snap;
        }
        return snap.exchangesByQueue().getOrDefault(queue, Set.of());
    }

    /** Ends a batch of consume calls: the next one reads the bindings afresh. */
    void invalidate() {
        snapshot = null;
    }

    private Snapshot read() {
        long now = transport.ticker().nanoTime();
        List<Object> types = Resp.array(transport.commands(c -> c.call(List.of("HGETALL", keys.exchangeTypes()))));
        List<String> fanouts = new ArrayList<>();
        for (int i = 0; i + 1 < types.size(); i += 2) {
            if (ExchangeType.FANOUT.wireName().equals(Resp.text(types.get(i + 1)))) {
                fanouts.add(Resp.text(types.get(i)));
            }
        }
        if (fanouts.isEmpty()) {
            return new Snapshot(now, Map.of());
        }
        List<List<Object>> cmds = new ArrayList<>();
        for (String f : fanouts) {
            cmds.add(List.of("SMEMBERS", keys.bindings(f)));
        }
        List<Object> r = transport.commands(c -> c.pipeline(cmds));
        Map<String, Set<String>> out = new HashMap<>();
        for (int i = 0; i < fanouts.size(); i++) {
            for (Object m : Resp.array(r.get(i))) {
                BindingMember b = BindingMember.parse(Resp.text(m), keys.sep());
                if (b != null) {
                    out.computeIfAbsent(b.queue(), q -> new LinkedHashSet<>()).add(fanouts.get(i));
                }
            }
        }
        return new Snapshot(now, out);
    }
}
