package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.testkit.brokers.PrivateRedis;

/**
 * The CLIENT TRACKING wake-up, on a private redis-server so command counts are ours alone: an idle
 * consumer of many queues sends nothing, a push wakes it at once, overlapping queue names work.
 */
class RedisWakeupTest {

    private static long calls(RedisConnection admin, String command) {
        String info = Resp.text(admin.call(List.of("INFO", "commandstats")));
        for (String line : info.split("\r\n")) {
            if (line.startsWith("cmdstat_" + command + ":")) {
                return Long.parseLong(line.replaceAll(".*calls=(\\d+).*", "$1"));
            }
        }
        return 0;
    }

    @Test
    void idleConsumerOfManyQueuesSendsNoCommandsAndWakesOnPush() throws Exception {
        try (PrivateRedis redis = new PrivateRedis();
                RedisConnection admin = TestRedis.admin(redis);
                Connection c = Connection.open(redis.url(""))) {
            List<Queue> queues = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                queues.add(Queue.of("idle.q" + i)); // q1, q10, q100 overlap as prefixes
            }
            List<Object> got = new CopyOnWriteArrayList<>();
            c.consumer(queues.toArray(new Queue[0])).onMessage((body, m) -> {
                got.add(body);
                m.ack();
            }).consume();
            c.drainEvents(Duration.ofMillis(200));
            long evals = calls(admin, "evalsha") + calls(admin, "eval");
            long total = calls(admin, "ping") + evals;
            for (int i = 0; i < 10; i++) {
                assertThat(c.drainEvents(Duration.ofMillis(100))).isFalse();
            }
            assertThat(calls(admin, "evalsha") + calls(admin, "eval")).as("no pops while idle").isEqualTo(evals);
            assertThat(calls(admin, "ping") + evals).as("no polling while idle").isEqualTo(total);
            try (Connection p = Connection.open(redis.url(""))) {
                for (int i : List.of(1, 10, 100, 199)) {
                    p.producer().publish(i, "idle.q" + i);
                }
                long t0 = System.nanoTime();
                while (got.size() < 4 && System.nanoTime() - t0 < 5_000_000_000L) {
                    c.drainEvents(Duration.ofMillis(100));
                }
            }
            assertThat(got).containsExactlyInAnyOrder(1, 10, 100, 199);
        }
    }

    @Test
    void largeMessagesCrossManyReads() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); Connection c = Connection.open(redis.url(""))) {
            Queue q = Queue.of("big");
            byte[] body = new byte[3 * 1024 * 1024 + 7];
            Arrays.fill(body, (byte) 'x');
            c.producer().publish(body, PublishOptions.builder().routingKey(q.name()).declare(q).build());
            c.producer().publish("small", q.name());
            List<byte[]> got = new CopyOnWriteArrayList<>();
            c.consumer(q).onRawMessage(m -> {
                got.add(m.body());
                m.ack();
            }).consume();
            long t0 = System.nanoTime();
            while (got.size() < 2 && System.nanoTime() - t0 < 10_000_000_000L) {
                c.drainEvents(Duration.ofMillis(100));
            }
            assertThat(got).hasSize(2);
            assertThat(got.get(0)).isEqualTo(body);
            assertThat(new String(got.get(1), StandardCharsets.UTF_8)).isEqualTo("small");
        }
    }
}
