package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.hub.Hub;
import org.kombu4j.observe.RecordingObserver;
import org.kombu4j.testkit.brokers.PrivateRedis;

/**
 * The listener hooks on Redis, with a private server so that it can be killed: a delivery requeued comes back
 * marked redelivered, and a lost connection is reported once, then restored by the reconnect.
 */
class RedisObserverTest {
    @Test
    void messageLifeAndConnectionLossAreToldOnRedis() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); Hub hub = new Hub()) {
            Thread loop = new Thread(hub::runForever, "hub");
            loop.start();
            RecordingObserver rec = new RecordingObserver();
            Queue q = Queue.of("obsq");
            CountDownLatch twice = new CountDownLatch(2);
            AtomicInteger calls = new AtomicInteger();
            try (Connection conn = Connection.builder(redis.url("")).observer(rec).build()) {
                conn.registerWithEventLoop(hub);
                conn.consumer(q).onMessage((b, m) -> {
                    if (calls.getAndIncrement() == 0) {
                        m.requeue();
                    } else {
                        m.ack();
                    }
                    twice.countDown();
                }).consume();
                conn.producer().publish("hello", q.name());
                assertThat(twice.await(10, TimeUnit.SECONDS)).isTrue();
                waitFor(() -> rec.only("handled").size() == 2);
                // The hub may deliver before the publishing thread hears "published": that one is not ordered.
                assertThat(rec.events).contains("published::obsq");
                assertThat(rec.events).containsSubsequence("connected", "delivered:obsq",
                        "rejected:obsq:requeue", "handled:obsq:ok", "delivered:obsq", "redelivered:obsq",
                        "acknowledged:obsq", "handled:obsq:ok");

                redis.kill();
                waitFor(() -> rec.events.contains("lost"));
                assertThat(rec.only("lost")).hasSize(1);
                redis.start();
                conn.ensureConnection(RetryPolicy.DEFAULT);
                assertThat(rec.events).endsWith("lost", "restored");
            } finally {
                hub.stop();
                loop.join(5000);
            }
            assertThat(rec.events).endsWith("closed");
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as("condition within 10 s").isTrue();
    }
}
