package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.hub.Hub;
import org.kombu4j.testkit.brokers.LocalRabbit;

/** On a hub there is no drainEvents to throw: a forced close reaches Connection.onConnectionLost. */
class AmqpHubConnectionLossTest {
    @Test
    void aForcedCloseUnderAHubIsReportedAndEnsureConnectionReconnects() throws Exception {
        String url = LocalRabbit.url();
        String name = "k4j-hubloss-" + UUID.randomUUID();
        String q = "k4j.hubloss." + UUID.randomUUID();
        List<OperationalException> lost = new CopyOnWriteArrayList<>();
        CountDownLatch reported = new CountDownLatch(1);
        CountDownLatch after = new CountDownLatch(1);
        try (Hub hub = new Hub(); Connection conn = Connection.open(url + "?connection_name=" + name)) {
            Thread loop = new Thread(hub::runForever, "hub");
            loop.start();
            try {
                conn.onConnectionLost(e -> {
                    lost.add(e);
                    reported.countDown();
                });
                conn.registerWithEventLoop(hub);
                Queue queue = Queue.named(q).autoDelete(false).build();
                conn.consumer(queue).onMessage((b, m) -> m.ack()).consume();
                LocalRabbit.closeConnection(name);
                assertThat(reported.await(10, TimeUnit.SECONDS)).as("listener told of the loss").isTrue();
                assertThat(lost.get(0)).hasMessageContaining("lost");
                conn.ensureConnection(RetryPolicy.DEFAULT);
                conn.consumer(queue).onMessage((b, m) -> {
                    m.ack();
                    after.countDown();
                }).consume();
                conn.producer().publish("after", q);
                assertThat(after.await(10, TimeUnit.SECONDS)).isTrue();
                conn.channel().deleteQueue(q);
            } finally {
                hub.stop();
                loop.join(5000);
            }
        }
    }
}
