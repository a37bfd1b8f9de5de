package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
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

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void theReconnectPolicysTimeoutBoundsOneOutage() throws Exception {
        AtomicLong now = new AtomicLong();
        AtomicInteger built = new AtomicInteger();
        try (Connection conn = Connection.builder("memory://").ticker(now::get).build()) {
            ConsumerLoop loop = ConsumerLoop.builder(conn, c -> {
                built.incrementAndGet();
                throw new OperationalException("broker went away");
            }).reconnect(RetryPolicy.builder().maxRetries(-1).intervalStart(Duration.ofMinutes(10))
                    .intervalMax(Duration.ofMinutes(10)).timeout(Duration.ofMinutes(25)).build())
                    .drainTimeout(Duration.ofMillis(20)).build();
            AtomicReference<Throwable> ended = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    loop.run();
                } catch (Throwable e) {
                    ended.set(e);
                }
            }, "consumer-loop-test");
            t.start();
            try {
                // Lost at 0: waits until 10 min and 20 min; at 20 min a wait to 30 min would pass the 25 min bound.
                for (int expected = 1; expected <= 2; expected++) {
                    awaitValue(built, expected);
                    Thread.sleep(100);
                    assertThat(t.isAlive()).isTrue();
                    now.addAndGet(Duration.ofMinutes(10).toNanos());
                }
                t.join(10_000);
                assertThat(t.isAlive()).isFalse();
                assertThat(built.get()).isEqualTo(3);
                assertThat(ended.get()).isInstanceOf(OperationalException.class).hasMessage("broker went away");
            } finally {
                loop.stop();
                t.join(5_000);
            }
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void onIterationRunsAfterEachDrainStepAndMayStopTheLoop() throws Exception {
        AtomicInteger iterations = new AtomicInteger();
        try (Connection conn = Connection.open("memory://")) {
            ConsumerLoop[] loop = new ConsumerLoop[1];
            loop[0] = ConsumerLoop.builder(conn, c -> List.of()).drainTimeout(Duration.ofMillis(5)).onIteration(() -> {
                if (iterations.incrementAndGet() == 3) {
                    loop[0].stop();
                }
            }).build();
            loop[0].run();
            assertThat(iterations.get()).isEqualTo(3);
        }
    }

    private static void awaitValue(AtomicInteger value, int expected) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (value.get() < expected && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertThat(value.get()).isEqualTo(expected);
    }
}
