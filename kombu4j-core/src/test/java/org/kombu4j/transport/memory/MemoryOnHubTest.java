package org.kombu4j.transport.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;

/** memory:// delivers on a Hub's thread, woken by callSoon, with no polling. */
class MemoryOnHubTest {
    @Test
    void oneHubThreadServesEveryQueueOfEveryConnection() throws Exception {
        String vhost = "memory://hub" + UUID.randomUUID().toString().substring(0, 8);
        int connections = 3;
        int queuesPer = 20;
        int perQueue = 50;
        int total = connections * queuesPer * perQueue;
        CountDownLatch all = new CountDownLatch(total);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<Connection> conns = new CopyOnWriteArrayList<>();
        try (Hub hub = new Hub()) {
            Thread loop = new Thread(hub::runForever, "hub");
            loop.start();
            for (int c = 0; c < connections; c++) {
                Connection conn = Connection.open(vhost);
                conns.add(conn);
                conn.registerWithEventLoop(hub);
                Queue[] qs = new Queue[queuesPer];
                for (int q = 0; q < queuesPer; q++) {
                    qs[q] = Queue.of("c" + c + ".q" + q);
                }
                conn.consumer(qs).prefetch(10).onMessage((body, m) -> {
                    threads.add(Thread.currentThread().getName());
                    m.ack();
                    all.countDown();
                }).consume();
            }
            try (Connection producer = Connection.open(vhost)) {
                for (int i = 0; i < perQueue; i++) {
                    for (int c = 0; c < connections; c++) {
                        for (int q = 0; q < queuesPer; q++) {
                            producer.producer().publish(i, "c" + c + ".q" + q);
                        }
                    }
                }
            }
            assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(threads).containsExactly("hub");
            assertThatThrownBy(() -> conns.get(0).drainEvents(Duration.ofMillis(1)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("Hub");
            hub.stop();
            loop.join(2000);
            assertThat(loop.isAlive()).isFalse();
        } finally {
            conns.forEach(Connection::close);
        }
    }
}
