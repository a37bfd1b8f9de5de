package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kombu4j.hub.Hub;

/** {@link HandlerFailure#STOP} where there is no drainEvents of the caller's own: in a ConsumerLoop, on a Hub. */
class HandlerFailureOnMemoryTest {
    private final String url = "memory://hf" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void consumerLoopRunEndsWithTheHandlerFailureAndTheMessageGoesBack() {
        Connection conn = Connection.open(url);
        Queue q = Queue.of("work");
        RuntimeException boom = new IllegalArgumentException("bad input");
        AtomicInteger calls = new AtomicInteger();
        try (Connection producer = Connection.open(url)) {
            producer.producer().publish("job1", PublishOptions.builder().routingKey(q.name()).declare(q).build());
            producer.producer().publish("job2", q.name());
            ConsumerLoop loop = ConsumerLoop.builder(conn, c -> List.of(c.consumer(q).onMessage((body, m) -> {
                calls.incrementAndGet();
                throw boom;
            }).build())).drainTimeout(Duration.ofMillis(100)).build();
            assertThatThrownBy(loop::run).isInstanceOf(HandlerFailedException.class).hasCauseReference(boom)
                    .satisfies(e -> assertThat(((HandlerFailedException) e).queue()).isEqualTo("work"));
            assertThat(loop.isRunning()).isFalse();
            assertThat(calls).hasValue(1);
            // The loop closed its consumer: the message is back at once, marked redelivered, ahead of job2.
            Message first = producer.simpleQueue("work").get(Duration.ofSeconds(1));
            assertThat(first.bodyAsString()).isEqualTo("job1");
            assertThat(first.isRedelivered()).isTrue();
        } finally {
            conn.close();
        }
    }

    @Test
    void onAHubTheFailingConsumerStopsAndTheOthersGoOn() throws Exception {
        try (Hub hub = new Hub(); Connection conn = Connection.open(url); Connection producer = Connection.open(url)) {
            Queue bad = Queue.of("bad");
            Queue good = Queue.of("good");
            for (int i = 0; i < 20; i++) {
                producer.producer().publish("b" + i, PublishOptions.builder().routingKey(bad.name()).declare(bad).build());
                producer.producer().publish(i, PublishOptions.builder().routingKey(good.name()).declare(good).build());
            }
            // Everything is queued before the hub runs: no put wakes it after the failure, only the transport can.
            conn.registerWithEventLoop(hub);
            AtomicInteger badCalls = new AtomicInteger();
            Consumer failing = conn.consumer(bad).onMessage((body, m) -> {
                badCalls.incrementAndGet();
                throw new IllegalStateException("always fails");
            }).consume();
            List<Object> handled = new CopyOnWriteArrayList<>();
            CountDownLatch all = new CountDownLatch(20);
            conn.consumer(good).onMessage((body, m) -> {
                handled.add(body);
                m.ack();
                all.countDown();
            }).consume();
            Thread loop = new Thread(hub::runForever, "hub");
            loop.start();
            try {
                assertThat(all.await(10, TimeUnit.SECONDS)).as("the other consumer's messages, handled: %s", handled).isTrue();
                assertThat(badCalls).hasValue(1);
                assertThat(failing.isConsuming()).isFalse();
                failing.close();
                assertThat(producer.channel().declareQueue(bad, true).messageCount()).isEqualTo(20);
            } finally {
                hub.stop();
                loop.join(5000);
            }
        }
    }

    @Test
    void aBrokerFaultOrCloseFromTheHandlerIsNotAHandlerFailure() {
        try (Connection conn = Connection.open(url)) {
            Queue q = Queue.of("faults");
            conn.producer().publish("a", PublishOptions.builder().routingKey(q.name()).declare(q).build());
            conn.producer().publish("b", q.name());
            AtomicInteger calls = new AtomicInteger();
            Consumer consumer = conn.consumer(q).onMessage((body, m) -> {
                if (calls.incrementAndGet() == 1) {
                    throw new OperationalException("connection lost while acking");
                }
                throw new ClosedException("channel closed while acking");
            }).consume();
            assertThatThrownBy(() -> conn.drainEvents(Duration.ofSeconds(1))).isExactlyInstanceOf(OperationalException.class);
            assertThat(consumer.isConsuming()).as("a broker fault does not stop the consumer").isTrue();
            assertThatThrownBy(() -> conn.drainEvents(Duration.ofSeconds(1))).isExactlyInstanceOf(ClosedException.class);
            assertThat(calls).hasValue(2);
        }
    }
}
