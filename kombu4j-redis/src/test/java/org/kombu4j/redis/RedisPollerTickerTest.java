package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kombu4j.BrokerUrl;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.testkit.FakeClock;

/**
 * The event poller decides its health check on the transport's ticker: an idle event connection is
 * pinged once {@code health_check_interval} has passed on a fake ticker, and not before — no sleeping
 * for 25 seconds.
 */
class RedisPollerTickerTest {

    /** The last command Redis saw from client {@code id}, as CLIENT LIST reports it. */
    private static String lastCommand(RedisConnection raw, long id) {
        String line = Resp.text(raw.call(List.of("CLIENT", "LIST", "ID", id)));
        for (String field : line.trim().split(" ")) {
            if (field.startsWith("cmd=")) {
                return field.substring("cmd=".length());
            }
        }
        return "";
    }

    @Test
    void theHealthCheckIsDueByTheTickerNotTheWallClock() throws Exception {
        TestRedis.require();
        FakeClock clock = new FakeClock(Instant.ofEpochSecond(1_000_000_000L));
        RedisTransport t = new RedisTransport(BrokerUrl.parse("redis://127.0.0.1:6379/13?health_check_interval=25"), clock,
                clock);
        RedisConnection raw = TestRedis.raw(13);
        try {
            t.connect();
            long id = Resp.integer(t.events().call(List.of("CLIENT", "ID")));
            t.drainEvents(Duration.ZERO);
            Thread.sleep(100);
            assertThat(lastCommand(raw, id)).as("no time passed: no ping").isEqualTo("client|id");

            clock.advance(Duration.ofSeconds(26));
            t.drainEvents(Duration.ZERO);
            long until = System.nanoTime() + 2_000_000_000L;
            while (!lastCommand(raw, id).equals("ping") && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(lastCommand(raw, id)).as("26 s on the ticker: pinged").isEqualTo("ping");
        } finally {
            t.close();
            raw.close();
        }
    }
}
