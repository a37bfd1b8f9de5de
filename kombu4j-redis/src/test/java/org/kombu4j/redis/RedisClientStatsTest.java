package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;

/** The totals a kombu4j client counts for a monitor ({@link ClientStatsSink}) over a queue's life, on database 15. */
class RedisClientStatsTest {
    private RedisConnection raw;
    private String queue;

    @BeforeEach
    void setUp() {
        TestRedis.require();
        raw = TestRedis.raw(15);
        queue = TestRedis.uniqueId("k4j.cstats");
    }

    @AfterEach
    void cleanUp() {
        raw.call(List.of("HDEL", "_kombu4j.stats", ClientStatsSink.PUBLISHED + queue, ClientStatsSink.DELIVERED + queue));
        raw.close();
    }

    private boolean counted() {
        return Resp.integer(raw.call(List.of("HEXISTS", "_kombu4j.stats", ClientStatsSink.PUBLISHED + queue))) == 1;
    }

    @Test
    void aDeletedQueuesTotalsGoWithIt() {
        try (Connection c = Connection.open("redis://127.0.0.1:6379/15")) {
            Queue q = Queue.of(queue);
            c.producer().publish("m", PublishOptions.builder().routingKey(queue).declare(q).build());
            RedisTransport t = (RedisTransport) c.transport();
            t.clientStats().flush(System.currentTimeMillis(), false);
            assertThat(Resp.text(raw.call(List.of("HGET", "_kombu4j.stats", ClientStatsSink.PUBLISHED + queue)))).isEqualTo("1");
            c.channel().deleteQueue(queue);
            assertThat(counted()).as("totals of the deleted queue").isFalse();
        }
    }
}
