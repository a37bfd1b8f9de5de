package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ExchangeType;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.QueueStats;

/**
 * A monitor's reading of the queues ({@link RedisChannel#queueStats()}): {@link RedisCatalog#listQueues()}'s
 * names and ready counts, then one pipeline for the unacknowledged and delayed figures, so the commands per
 * sample grow with the number of queues, never with the number of messages (see {@link #MAX_UNACKED}).
 *
 * <p>Unacknowledged deliveries are attributed to their queue through kombu4j's {@code _kombu4j.unacked.queues}
 * (tag → queue); a Python Kombu consumer's records name only an exchange and routing key, so up to
 * {@link #MAX_FOREIGN} of those are read and attributed where the route names the queue (default exchange, or
 * a routing key that is a queue's name, as Celery's are).
 *
 * <p>Consumers and published/delivered totals are what kombu4j clients wrote ({@link ClientStatsSink}: two
 * {@code HGETALL}s in the same pipeline): consumers of live records only, a lower bound (Python Kombu's consumers
 * leave no trace Redis can tell apart); the totals are turned into rates by the monitor.
 *
 * <p>Dead letters ({@link #deadLetterTargets}) cost one {@code HGETALL} of {@code _kombu4j.queue.args} per
 * sample, plus one {@code HGET} and one {@code SMEMBERS} per distinct named dead-letter exchange.
 */
final class RedisStats {
    /** Above this many unacknowledged deliveries, per-queue unacked counts are not computed (null). */
    static final int MAX_UNACKED = 10_000;
    /** At most this many records of other clients' deliveries are read per sample to attribute them. */
    static final int MAX_FOREIGN = 200;
    /** Where the per-queue replies start in the first pipeline. */
    private static final int FIRST_QUEUE = 4;

    private RedisStats() {
    }

    static List<QueueStats> read(RedisTransport transport, List<QueueInfo> queues) {
        Keys keys = transport.keys();
        long now = transport.clock().millis();
        List<List<Object>> cmds = new ArrayList<>(queues.size() + 5);
        cmds.add(List.of("ZCARD", keys.unackedIndex()));
        cmds.add(List.of("HLEN", keys.unackedQueues()));
        cmds.add(List.of("HGETALL", keys.stats()));
        cmds.add(List.of("HGETALL", keys.consumers()));
        for (QueueInfo q : queues) {
            cmds.add(List.of("ZRANGE", keys.delayed(q.name()), "0", "0", "WITHSCORES"));
        }
        List<Object> r = transport.commands(c -> c.pipeline(cmds));
        long unackedTotal = Resp.integer(RedisTransport.check(r.get(0), "ZCARD"));
        Map<String, long[]> totalsByQueue = new HashMap<>(); // queue -> {published, delivered}
        List<Object> totals = flat(RedisTransport.check(r.get(2), "HGETALL"));
        for (int i = 0; i + 1 < totals.size(); i += 2) {
            String field = Resp.text(totals.get(i));
            int which = field.startsWith(ClientStatsSink.PUBLISHED) ? 0 : field.startsWith(ClientStatsSink.DELIVERED) ? 1 : -1;
            if (which >= 0) {
                String queue = field.substring(which == 0 ? ClientStatsSink.PUBLISHED.length() : ClientStatsSink.DELIVERED.length());
                totalsByQueue.computeIfAbsent(queue, k -> new long[2])[which] = Resp.integer(totals.get(i + 1));
            }
        }
        Map<String, Integer> consumerCounts = new HashMap<>();
        ClientStatsSink.consumerRecords(RedisTransport.check(r.get(3), "HGETALL"), (id, rec) -> {
            if (rec.expires() > now) {
                rec.queues().forEach((queue, n) -> consumerCounts.merge(queue, n, Integer::sum));
            }
        });

        Map<String, Long> unacked = new HashMap<>();
        Map<String, Double> oldest = new HashMap<>(); // queue -> delivery time, epoch seconds
        boolean attributed = unackedTotal <= MAX_UNACKED;
        if (unackedTotal > 0 && attributed) {
            List<Object> more = transport.commands(c -> c.pipeline(List.of(
                    List.of("ZRANGE", keys.unackedIndex(), "0", "-1", "WITHSCORES"),
                    List.of("HGETALL", keys.unackedQueues()))));
            List<Object> index = flat(RedisTransport.check(more.get(0), "ZRANGE"));
            List<Object> owners = flat(RedisTransport.check(more.get(1), "HGETALL"));
            Map<String, String> queueOfTag = new HashMap<>();
            for (int i = 0; i + 1 < owners.size(); i += 2) {
                queueOfTag.put(Resp.text(owners.get(i)), Resp.text(owners.get(i + 1)));
            }
            Set<String> names = new HashSet<>();
            for (QueueInfo q : queues) {
                names.add(q.name());
            }
            List<String> foreign = new ArrayList<>();
            List<Double> foreignAt = new ArrayList<>();
            for (int i = 0; i + 1 < index.size(); i += 2) {
                String tag = Resp.text(index.get(i));
                double at = Double.parseDouble(Resp.text(index.get(i + 1)));
                String q = queueOfTag.get(tag);
                if (q != null) {
                    count(unacked, oldest, q, at);
                } else if (foreign.size() < MAX_FOREIGN) {
                    foreign.add(tag);
                    foreignAt.add(at);
                }
            }
            if (!foreign.isEmpty()) {
                List<Object> hmget = new ArrayList<>(foreign.size() + 2);
                hmget.add("HMGET");
                hmget.add(keys.unacked());
                hmget.addAll(foreign);
                List<Object> records = Resp.array(RedisTransport.check(transport.commands(c -> c.call(hmget)), "HMGET"));
                for (int i = 0; i < records.size(); i++) {
                    Object raw = records.get(i);
                    UnackedRecord rec = raw instanceof byte[] ? UnackedRecord.parse((byte[]) raw) : null;
                    if (rec == null) {
                        continue;
                    }
                    String q = rec.exchange().isEmpty() || names.contains(rec.routingKey()) ? rec.routingKey() : null;
                    if (q != null && names.contains(q)) {
                        count(unacked, oldest, q, foreignAt.get(i));
                    }
                }
            }
        }

        // Delayed sets are counted only where the earliest-member read found one: most queues have none.
        int n = queues.size();
        List<List<Object>> heads = new ArrayList<>(n);
        List<List<Object>> cards = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Object> head = flat(RedisTransport.check(r.get(FIRST_QUEUE + i), "ZRANGE"));
            heads.add(head);
            if (!head.isEmpty()) {
                cards.add(List.of("ZCARD", keys.delayed(queues.get(i).name())));
            }
        }
        List<Object> counted = cards.isEmpty() ? List.of() : transport.commands(c -> c.pipeline(cards));
        List<QueueStats> out = new ArrayList<>(n);
        int k = 0;
        for (int i = 0; i < n; i++) {
            QueueInfo q = queues.get(i);
            List<Object> head = heads.get(i);
            long delayed = head.isEmpty() ? 0 : Resp.integer(RedisTransport.check(counted.get(k++), "ZCARD"));
            Double overdue = null;
            if (head.size() >= 2) {
                double due = Double.parseDouble(Resp.text(head.get(1))); // epoch ms
                overdue = Math.max(0, (now - due) / 1000.0);
            } else if (delayed == 0) {
                overdue = 0.0;
            }
            Long u = attributed ? unacked.getOrDefault(q.name(), 0L) : null;
            Double age = oldest.containsKey(q.name()) ? Math.max(0, now / 1000.0 - oldest.get(q.name())) : attributed ? 0.0 : null;
            if (age != null && u != null && u == 0) {
                age = null;
            }
            long[] c = totalsByQueue.get(q.name());
            out.add(new QueueStats(q.name(), q.messageCount(), u, consumerCounts.getOrDefault(q.name(), 0),
                    null, null, age, delayed, delayed == 0 ? null : overdue, null, List.of(),
                    c == null ? null : c[0], c == null ? null : c[1], null, true));
        }
        return out;
    }

    /**
     * Where each queue with a dead-letter exchange sends its dead letters, as {@link DeadLetterer} routes them:
     * the default exchange to the queue named by the dead-letter routing key, a named exchange by its bindings.
     * Left out (unknown): queues without a dead-letter routing key, whose dead letters keep each message's own key;
     * a fanout exchange, pub/sub on Redis, whose dead letters reach no list but live subscribers; a headers one.
     */
    static Map<String, List<String>> deadLetterTargets(RedisTransport transport) {
        Keys keys = transport.keys();
        List<Object> all = flat(RedisTransport.check(transport.commands(c -> c.call(List.of("HGETALL", keys.queueArgs()))), "HGETALL"));
        Map<String, QueueArguments.Args> args = new java.util.TreeMap<>();
        for (int i = 0; i + 1 < all.size(); i += 2) {
            String queue = Resp.text(all.get(i));
            QueueArguments.Args a = QueueArguments.parse(queue, all.get(i + 1));
            if (a.exchange() != null && a.routingKey() != null) {
                args.put(queue, a);
            }
        }
        if (args.isEmpty()) {
            return Map.of();
        }
        List<String> exchanges = new ArrayList<>(new java.util.TreeSet<>(args.values().stream()
                .map(QueueArguments.Args::exchange).filter(e -> e != null && !e.isEmpty()).toList()));
        Map<String, Routes.Table> tables = new HashMap<>();
        if (!exchanges.isEmpty()) {
            List<List<Object>> cmds = new ArrayList<>();
            for (String e : exchanges) {
                cmds.add(List.of("HGET", keys.exchangeTypes(), e));
                cmds.add(List.of("SMEMBERS", keys.bindings(e)));
            }
            List<Object> r = transport.commands(c -> c.pipeline(cmds));
            for (int i = 0; i < exchanges.size(); i++) {
                tables.put(exchanges.get(i), transport.routes().table(RedisTransport.check(r.get(2 * i), "HGET"),
                        RedisTransport.check(r.get(2 * i + 1), "SMEMBERS")));
            }
        }
        Map<String, List<String>> out = new HashMap<>();
        args.forEach((queue, a) -> {
            String ex = a.exchange();
            String rk = a.routingKey();
            if (ex == null || rk == null) {
                return;
            }
            if (ex.isEmpty()) {
                out.put(queue, List.of(rk));
            } else {
                Routes.Table t = tables.get(ex);
                if (t != null && t.type() != ExchangeType.FANOUT && t.type() != ExchangeType.HEADERS) {
                    out.put(queue, List.copyOf(new java.util.LinkedHashSet<>(t.queues(transport.router(), rk))));
                }
            }
        });
        return out;
    }

    /** RESP3 answers WITHSCORES with [member, score] pairs, RESP2 with one flat array: flat either way. */
    /** An array reply as one flat list, RESP3 pairs (of a map reply) spread out. */
    static List<Object> flat(@Nullable Object reply) {
        List<Object> out = new ArrayList<>();
        for (Object o : Resp.array(reply)) {
            if (o instanceof List<?> l) {
                out.addAll(l);
            } else {
                out.add(o);
            }
        }
        return out;
    }

    private static void count(Map<String, Long> unacked, Map<String, Double> oldest, String queue, double at) {
        unacked.merge(queue, 1L, Long::sum);
        oldest.merge(queue, at, Math::min);
    }
}
