package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.BrokerUrl;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.testkit.FakeClock;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * The visibility window is read from the transport's clock: a message taken and not acknowledged goes
 * back to its queue, marked redelivered, once a fake clock is moved past {@code visibility_timeout} —
 * no sleeping. On database 12 (no other test uses it; {@code unacked*} are per database).
 */
class RedisVisibilityRestoreTest {
    private static final int DB = 12;
    /** A whole second far from now: a score written from the real clock instead would never fall in the window. */
    private static final Instant START = Instant.ofEpochSecond(1_000_000_000L);
    private RedisConnection raw;
    private String id;

    @BeforeEach
    void setUp() {
        raw = TestRedis.raw(DB);
        id = TestRedis.uniqueId("k4j.visibility");
    }

    @AfterEach
    void cleanUp() {
        // Records this test's fake time wrote, if it failed before restoring them.
        for (Object tag : Resp.array(raw.call(List.of("ZRANGEBYSCORE", "unacked_index", "-inf",
                START.getEpochSecond() + 3600)))) {
            raw.call(List.of("HDEL", "unacked", tag));
            raw.call(List.of("HDEL", "_kombu4j.unacked.queues", tag));
            raw.call(List.of("ZREM", "unacked_index", tag));
        }
        raw.call(List.of("DEL", id + ".q"));
        raw.call(List.of("SREM", "_kombu4j.queues", id + ".q"));
        raw.close();
    }

    private long llen(String key) {
        return Resp.integer(raw.call(List.of("LLEN", key)));
    }

    @Test
    void anUnacknowledgedMessageIsRestoredOnceTheClockPassesTheVisibilityTimeout() {
        FakeClock clock = new FakeClock(START);
        RedisTransport t = new RedisTransport(BrokerUrl.parse("redis://127.0.0.1:6379/" + DB
                + "?visibility_timeout=60&unacked_restore_interval=5&lease_timeout=0"), clock, clock); // Kombu's rule: no lease
        try {
            String queue = id + ".q";
            TransportChannel ch = t.createChannel();
            ch.declareQueue(Queue.of(queue), false);
            ch.publish(new OutgoingMessage("", queue, new RawMessage("held".getBytes(StandardCharsets.UTF_8), "text/plain",
                    "utf-8", Map.of(), Map.of()), false));
            TransportMessage taken = ch.get(queue, false);
            assertThat(taken).isNotNull();
            assertThat(taken.redelivered()).isFalse();
            assertThat(llen(queue)).isZero();
            // The pop script's score is the fake clock's time, in epoch seconds.
            List<Object> tags = Resp.array(raw.call(List.of("ZRANGEBYSCORE", "unacked_index", START.getEpochSecond(),
                    START.getEpochSecond())));
            assertThat(tags).hasSize(1);
            String tag = Resp.text(tags.get(0));

            clock.advance(Duration.ofSeconds(59)); // within the window: the restore runs and leaves it
            t.restorer().restoreDue();
            assertThat(llen(queue)).isZero();

            clock.advance(Duration.ofSeconds(2)); // past the window, but the restore ran 2 s ago (interval 5 s)
            t.restorer().restoreDue();
            assertThat(llen(queue)).isZero();

            clock.advance(Duration.ofSeconds(5));
            t.restorer().restoreDue();
            assertThat(llen(queue)).isEqualTo(1);
            assertThat(raw.call(List.of("ZSCORE", "unacked_index", tag))).isNull();
            assertThat(raw.call(List.of("HEXISTS", "unacked", tag))).isEqualTo(0L);

            TransportMessage back = ch.get(queue, true);
            assertThat(back).isNotNull();
            assertThat(back.redelivered()).isTrue();
            assertThat(new String(back.content().body(), StandardCharsets.UTF_8)).isEqualTo("held");
            ch.close(); // gives back the first delivery: its record is gone, so nothing is duplicated
            assertThat(llen(queue)).isZero();
        } finally {
            t.close();
        }
    }
}
