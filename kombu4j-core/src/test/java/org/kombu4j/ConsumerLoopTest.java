package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ConsumerLoopTest {

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void theReconnectWaitEndsWhenTheConnectionsTickerSaysSo() throws Exception {
        AtomicLong now = new AtomicLong();
        AtomicInteger built = new AtomicInteger();
        try (Connection conn = Connection.builder("memory://").ticker(now::get).build()) {
            ConsumerLoop loop = ConsumerLoop.builder(conn, c -> {
                if (built.incrementAndGet() == 1) {
                    throw new OperationalException("broker went away");
                }
                return List.of();
            }).reconnect(RetryPolicy.builder().maxRetries(-1).intervalStart(Duration.ofHours(1))
                    .intervalMax(Duration.ofHours(1)).build()).drainTimeout(Duration.ofMillis(20)).build();
            Thread t = new Thread(loop::run, "consumer-loop-test");
            t.start();
            try {
                // In the hour-long reconnect wait: nothing happens while the ticker stands still.
                Thread.sleep(300);
                assertThat(built.get()).isEqualTo(1);
                now.addAndGet(Duration.ofHours(1).toNanos());
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (built.get() < 2 && System.nanoTime() < until) {
                    Thread.sleep(10);
                }
                assertThat(built.get()).isEqualTo(2);
                assertThat(loop.connects()).isEqualTo(2);
            } finally {
                loop.stop();
                t.join(5_000);
            }
            assertThat(t.isAlive()).isFalse();
        }
    }
}
