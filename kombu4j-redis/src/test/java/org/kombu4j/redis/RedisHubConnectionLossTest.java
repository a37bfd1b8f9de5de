package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.hub.Hub;
import org.kombu4j.testkit.brokers.PrivateRedis;

/**
 * On a hub there is no drainEvents to throw: a lost connection reaches Connection.onConnectionLost,
 * and ensureConnection reconnects.
 */
class RedisHubConnectionLossTest {
    @Test
    void aServerKilledUnderAHubIsReportedAndTheNextUseReconnects() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); Hub hub = new Hub()) {
            String url = redis.url("");
            Thread loop = new Thread(hub::runForever, "hub");
            loop.start();
            List<OperationalException> lost = new CopyOnWriteArrayList<>();
            CountDownLatch reported = new CountDownLatch(1);
            CountDownLatch delivered = new CountDownLatch(2);
            try (Connection conn = Connection.open(url)) {
                conn.onConnectionLost(e -> {
                    lost.add(e);
                    reported.countDown();
                });
                conn.registerWithEventLoop(hub);
                Queue q = Queue.of("lossq");
                conn.consumer(q).onMessage((b, m) -> {
                    m.ack();
                    delivered.countDown();
                }).consume();
                conn.producer().publish("before", q.name());
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (delivered.getCount() > 1 && System.nanoTime() < until) {
                    Thread.sleep(10); // the private server keeps nothing on disk: let "before" arrive first
                }
                assertThat(delivered.getCount()).isEqualTo(1);
                redis.kill();
                assertThat(reported.await(10, TimeUnit.SECONDS)).as("listener told of the loss").isTrue();
                assertThat(lost.get(0)).hasMessageContaining("127.0.0.1");
                redis.start();
                // Reconnect explicitly, then make the consumers again.
                conn.ensureConnection(RetryPolicy.DEFAULT);
                conn.consumer(q).onMessage((b, m) -> {
                    m.ack();
                    delivered.countDown();
                }).consume();
                conn.producer().publish("after", q.name());
                assertThat(delivered.await(10, TimeUnit.SECONDS)).isTrue();
            } finally {
                hub.stop();
                loop.join(5000);
            }
        }
    }
}
