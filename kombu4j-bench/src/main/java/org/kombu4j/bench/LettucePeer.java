package org.kombu4j.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.KeyValue;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.kombu4j.BrokerUrl;

/**
 * Lettuce (io.lettuce:lettuce-core) doing kombu4j's job the way a Java developer would write it
 * by hand, in this JVM, on the same Redis URL: the same Kombu envelope (JSON, base64 body, uuid
 * delivery tag) LPUSHed to a list; consumed with BRPOP (1 s timeout) and, with acks, Kombu's ack
 * emulation done plainly — on delivery {@code HSET unacked tag envelope} + {@code ZADD
 * unacked_index now tag} (sent together), on ack {@code ZREM} + {@code HDEL} (sent together). It
 * has Kombu's loss window (BRPOP then record), which kombu4j closes with a Lua pop.
 *
 * <ul>
 *   <li>{@code publish}: {@code sync().lpush} per message.</li>
 *   <li>{@code publish-async}: auto-flush off, batches of 16 {@code async().lpush} flushed together and
 *       awaited (like {@code redis-benchmark -P 16}).</li>
 *   <li>{@code consume-noack}: BRPOP per message, nothing recorded.</li>
 *   <li>{@code latency}: a publisher thread LPUSHes at the rate round-robin over Q lists; the consumer
 *       BRPOPs over all Q keys (Kombu's pattern) and acks as above.</li>
 * </ul>
 *
 * Keys are {@code bench.lettuce.<random>.*} and deleted afterwards. CPU is this process's
 * (Lettuce's Netty threads included).
 */
final class LettucePeer implements Peer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {
    };
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int PIPELINE = 16;

    @Override
    public String name() {
        return "lettuce";
    }

    @Override
    public boolean supports(Scenario scenario, String url) {
        String scheme = BrokerUrl.parse(url.split(";")[0]).scheme();
        return (scheme.equals("redis") || scheme.equals("rediss")) && scenario != Scenario.IDLE
                && scenario != Scenario.ROUNDTRIP && scenario != Scenario.PUBLISH_BATCH && scenario != Scenario.DELAYED
                && scenario != Scenario.WORKER && !scenario.isCelery();
    }

    @Override
    public List<Measurement> run(Scenario scenario, Settings s, int round, Deadline deadline, PrintStream err) {
        Measurement m = new Measurement(name(), "redis", scenario.cliName()).put("round", round)
                .put("body_bytes", s.bodyBytes()).put("queues", scenario == Scenario.LATENCY ? s.queues() : 1);
        byte[] id = new byte[5];
        RANDOM.nextBytes(id);
        String prefix = "bench.lettuce." + HexFormat.of().formatHex(id);
        RedisClient client = RedisClient.create(RedisURI.create(s.url().split(";")[0]));
        List<String> keys = new ArrayList<>();
        try (StatefulRedisConnection<String, String> conn = client.connect()) {
            conn.setTimeout(Duration.ofSeconds(30));
            switch (scenario) {
                case PUBLISH:
                    publish(conn, prefix + ".q", m, s, deadline, keys);
                    m.put("publish_mode", "sync");
                    break;
                case PUBLISH_ASYNC:
                    publishPipelined(conn, prefix + ".q", m, s, deadline, keys);
                    m.put("publish_mode", "pipelined:" + PIPELINE);
                    break;
                case CONSUME_ACK:
                case CONSUME_NOACK:
                    consume(conn, prefix, scenario == Scenario.CONSUME_NOACK, m, s, deadline, keys);
                    break;
                case LATENCY:
                    try (StatefulRedisConnection<String, String> producer = client.connect()) {
                        latency(conn, producer, prefix, m, s, deadline, keys);
                    }
                    break;
                default:
                    throw new IllegalArgumentException(name() + " has no " + scenario.cliName() + " scenario");
            }
        } catch (RuntimeException e) {
            m.error(Measurement.describe(e));
        } finally {
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                for (int i = 0; i < keys.size(); i += 1000) {
                    c.sync().del(keys.subList(i, Math.min(keys.size(), i + 1000)).toArray(new String[0]));
                }
            } catch (RuntimeException e) {
                err.println("[lettuce] cleanup of " + prefix + ".* failed: " + e.getMessage());
            }
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
        return List.of(m);
    }

    // ---- the Kombu envelope, written and read as a Java developer would with Jackson ----

    static String envelope(Map<String, Object> body, String routingKey) {
        try {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("exchange", "");
            info.put("routing_key", routingKey);
            Map<String, Object> props = new LinkedHashMap<>();
            props.put("delivery_mode", 2);
            props.put("delivery_info", info);
            props.put("priority", 0);
            props.put("body_encoding", "base64");
            props.put("delivery_tag", UUID.randomUUID().toString());
            Map<String, Object> env = new LinkedHashMap<>();
            env.put("body", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(body)));
            env.put("content-encoding", "utf-8");
            env.put("content-type", "application/json");
            env.put("headers", Map.of());
            env.put("properties", props);
            return JSON.writeValueAsString(env);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The delivery tag and decoded body of an envelope. */
    record Delivery(String tag, Map<String, Object> body) {
    }

    static Delivery open(String envelope) {
        try {
            Map<String, Object> env = JSON.readValue(envelope, MAP);
            @SuppressWarnings("unchecked")
            Map<String, Object> props = (Map<String, Object>) env.get("properties");
            byte[] raw = Base64.getDecoder().decode(String.valueOf(env.get("body")));
            return new Delivery(String.valueOf(props.get("delivery_tag")), JSON.readValue(raw, MAP));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- publish ----

    private void publish(StatefulRedisConnection<String, String> conn, String key, Measurement m, Settings s,
            Deadline deadline, List<String> keys) {
        keys.add(key);
        RedisCommands<String, String> sync = conn.sync();
        int n = s.messages();
        Bodies bodies = new Bodies(s.bodyBytes());
        Histogram calls = new Histogram(3);
        TimedSection.settle();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long c0 = System.nanoTime();
            sync.lpush(key, envelope(bodies.body(i), key));
            calls.recordValue(Math.max(0, System.nanoTime() - c0));
            if ((i & 4095) == 4095) {
                deadline.check("publishing");
            }
        }
        finishPublish(sync, key, m, n, t0, cpu0, calls);
    }

    private void publishPipelined(StatefulRedisConnection<String, String> conn, String key, Measurement m, Settings s,
            Deadline deadline, List<String> keys) {
        keys.add(key);
        int n = s.messages();
        Bodies bodies = new Bodies(s.bodyBytes());
        Histogram calls = new Histogram(3);
        List<RedisFuture<Long>> batch = new ArrayList<>(PIPELINE);
        TimedSection.settle();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        conn.setAutoFlushCommands(false);
        try {
            for (int i = 0; i < n; i++) {
                batch.add(conn.async().lpush(key, envelope(bodies.body(i), key)));
                if (batch.size() == PIPELINE || i == n - 1) {
                    long c0 = System.nanoTime();
                    conn.flushCommands();
                    if (!LettuceFutures.awaitAll(30, TimeUnit.SECONDS, batch.toArray(new RedisFuture[0]))) {
                        throw new IllegalStateException("pipelined LPUSH batch timed out");
                    }
                    calls.recordValue(Math.max(0, System.nanoTime() - c0));
                    batch.clear();
                    deadline.check("publishing");
                }
            }
        } finally {
            conn.setAutoFlushCommands(true);
        }
        finishPublish(conn.sync(), key, m, n, t0, cpu0, calls);
        m.put("latency_of", "batch_of_16");
    }

    private static void finishPublish(RedisCommands<String, String> sync, String key, Measurement m, int n, long t0,
            long cpu0, Histogram calls) {
        long t1 = System.nanoTime();
        long cpu = ProcessCpu.nanos() - cpu0;
        long queued = sync.llen(key);
        m.throughput(n, t1 - t0, cpu);
        m.put("connections", 1).put("missing", Math.max(0, n - queued)).put("duplicates", Math.max(0, queued - n));
        m.latencies(calls, 1e6);
        m.put("latency_of", "publish_call");
    }

    // ---- consume ----

    private void consume(StatefulRedisConnection<String, String> conn, String prefix, boolean noAck, Measurement m,
            Settings s, Deadline deadline, List<String> keys) {
        String key = prefix + ".q";
        String unacked = prefix + ".unacked";
        String unackedIndex = prefix + ".unacked_index";
        keys.addAll(List.of(key, unacked, unackedIndex));
        int n = s.messages();
        m.put("connections", 1).put("prefetch", noAck ? null : 1).put("consume_mode", noAck ? "brpop" : "brpop+hset/zadd+zrem/hdel");
        // Pre-fill, pipelined and untimed.
        Bodies bodies = new Bodies(s.bodyBytes());
        conn.setAutoFlushCommands(false);
        List<RedisFuture<Long>> batch = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                batch.add(conn.async().lpush(key, envelope(bodies.body(i), key)));
                if (batch.size() == 256 || i == n - 1) {
                    conn.flushCommands();
                    LettuceFutures.awaitAll(30, TimeUnit.SECONDS, batch.toArray(new RedisFuture[0]));
                    batch.clear();
                }
            }
        } finally {
            conn.setAutoFlushCommands(true);
        }
        RedisCommands<String, String> sync = conn.sync();
        SequenceTracker seen = new SequenceTracker(n);
        TimedSection.settle();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        while (seen.received() < n && !deadline.passed()) {
            KeyValue<String, String> kv = sync.brpop(1, key);
            if (kv == null || !kv.hasValue()) {
                continue;
            }
            Delivery d = open(kv.getValue());
            if (!noAck) {
                // Record before handling (Kombu's order), then ack after.
                RedisFuture<Boolean> h = conn.async().hset(unacked, d.tag(), kv.getValue());
                RedisFuture<Long> z = conn.async().zadd(unackedIndex, System.currentTimeMillis() / 1000.0, d.tag());
                LettuceFutures.awaitAll(30, TimeUnit.SECONDS, h, z);
            }
            seen.see(Bodies.seqOf(d.body()));
            if (!noAck) {
                RedisFuture<Long> z = conn.async().zrem(unackedIndex, d.tag());
                RedisFuture<Long> h = conn.async().hdel(unacked, d.tag());
                LettuceFutures.awaitAll(30, TimeUnit.SECONDS, z, h);
            }
        }
        long t1 = System.nanoTime();
        m.throughput(seen.received(), t1 - t0, ProcessCpu.nanos() - cpu0);
        m.put("messages", n).put("received", seen.received()).put("missing", seen.missing())
                .put("duplicates", seen.duplicates());
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + n + " before the deadline");
        }
    }

    // ---- latency ----

    private void latency(StatefulRedisConnection<String, String> conn, StatefulRedisConnection<String, String> producer,
            String prefix, Measurement m, Settings s, Deadline deadline, List<String> keys) {
        int q = s.queues();
        String[] queueKeys = new String[q];
        for (int i = 0; i < q; i++) {
            queueKeys[i] = prefix + ".q." + i;
        }
        String unacked = prefix + ".unacked";
        String unackedIndex = prefix + ".unacked_index";
        keys.addAll(List.of(queueKeys));
        keys.addAll(List.of(unacked, unackedIndex));
        int n = s.latencyMessages();
        double rate = s.rate();
        m.put("connections", 2).put("rate", rate).put("consume_mode", "brpop over all keys + hset/zadd + zrem/hdel");
        Bodies bodies = new Bodies(s.bodyBytes());
        Histogram micros = new Histogram(3);
        SequenceTracker seen = new SequenceTracker(n);
        RedisCommands<String, String> sync = conn.sync();
        RedisCommands<String, String> p = producer.sync();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        PublisherThread publisher = PublisherThread.atFixedRate("lettuce-bench-publisher", n, rate, t0, deadline, i -> {
            String k = queueKeys[i % q];
            p.lpush(k, envelope(bodies.body(i), k));
        });
        publisher.start();
        while (seen.received() < n && !deadline.passed()) {
            KeyValue<String, String> kv = sync.brpop(1, queueKeys);
            if (kv != null && kv.hasValue()) {
                Delivery d = open(kv.getValue());
                RedisFuture<Boolean> h = conn.async().hset(unacked, d.tag(), kv.getValue());
                RedisFuture<Long> z = conn.async().zadd(unackedIndex, System.currentTimeMillis() / 1000.0, d.tag());
                LettuceFutures.awaitAll(30, TimeUnit.SECONDS, h, z);
                double lat = WallClock.nowSeconds() - Bodies.tsOf(d.body());
                if (!Double.isNaN(lat)) {
                    micros.recordValue(Math.max(0, Math.round(lat * 1e6)));
                }
                seen.see(Bodies.seqOf(d.body()));
                RedisFuture<Long> zr = conn.async().zrem(unackedIndex, d.tag());
                RedisFuture<Long> hd = conn.async().hdel(unacked, d.tag());
                LettuceFutures.awaitAll(30, TimeUnit.SECONDS, zr, hd);
            }
            if (publisher.stoppedLongAgo()) {
                break;
            }
        }
        long t1 = System.nanoTime();
        publisher.interrupt();
        m.throughput(seen.received(), t1 - t0, ProcessCpu.nanos() - cpu0);
        m.put("messages", n).put("received", seen.received()).put("missing", seen.missing())
                .put("duplicates", seen.duplicates());
        m.latencies(micros, 1e3).put("latency_of", "end_to_end");
        if (publisher.error() != null) {
            m.error(publisher.error());
        }
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + n + " messages");
        }
    }
}
