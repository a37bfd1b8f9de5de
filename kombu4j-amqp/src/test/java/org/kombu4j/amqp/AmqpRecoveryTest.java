package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;

/** A broker-side connection close: ConsumerLoop reconnects on its own and no acknowledged work is lost. */
class AmqpRecoveryTest {
    @Test
    void consumerLoopRecoversFromAForcedConnectionClose() throws Exception {
        String url = LocalRabbit.url();
        String name = "k4j-fault-" + UUID.randomUUID();
        Queue q = Queue.of("k4jamqp.recovery." + UUID.randomUUID());
        Set<Integer> acked = ConcurrentHashMap.newKeySet();
        AtomicLong lastDelivery = new AtomicLong();
        try (Connection consumerConn = Connection.open(url + "?connection_name=" + name);
                Connection producerConn = Connection.open(url)) {
            ConsumerLoop loop = ConsumerLoop.builder(consumerConn, c -> List.of(c.consumer(q).prefetch(5)
                    .onMessage((body, m) -> {
                        m.ack();
                        acked.add((Integer) body);
                        lastDelivery.set(System.nanoTime());
                    }).build())).drainTimeout(Duration.ofMillis(200)).build();
            Thread t = new Thread(loop::run, "consumer-loop");
            t.start();
            try {
                Producer p = producerConn.producer();
                p.publish(0, PublishOptions.builder().routingKey(q.name()).declare(q).build());
                for (int i = 1; i < 20; i++) {
                    p.publish(i, q.name());
                }
                await(() -> acked.size() == 20, Duration.ofSeconds(10));
                assertThat(acked).hasSize(20);

                // After the broker has closed it: rabbitmqctl (two runs of an Erlang VM, 0.7 s each when idle, several
                // s under load) is not the reconnect being measured.
                LocalRabbit.closeConnection(name);
                long closedAt = System.nanoTime();
                for (int i = 20; i < 40; i++) {
                    p.publish(i, q.name());
                }
                await(() -> acked.size() == 40, Duration.ofSeconds(10));
                assertThat(acked).hasSize(40);
                assertThat(Duration.ofNanos(lastDelivery.get() - closedAt)).isLessThan(Duration.ofSeconds(5));
                assertThat(loop.connects()).isGreaterThanOrEqualTo(2);
            } finally {
                loop.stop();
                t.join(5000);
                producerConn.channel().deleteQueue(q.name());
            }
        }
    }

    private static void await(java.util.function.BooleanSupplier done, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }
}
