package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A consumer whose handler never acks its whole prefetch says so, once per episode. */
class ConsumerPrefetchWarningTest {
    @Test
    void aConsumerHoldingItsWholePrefetchWarnsOnceAndAgainAfterItRecovers() throws Exception {
        try (Connection c = Connection.open("memory://prefetch-warning")) {
            Queue q = Queue.of("pw.q");
            Producer p = c.producer();
            for (int i = 0; i < 5; i++) {
                p.publish(i, PublishOptions.builder().routingKey(q.name()).declare(q).build());
            }
            List<Message> kept = new ArrayList<>();
            Consumer consumer = c.consumer(q).prefetch(3).prefetchWarning(Duration.ofMillis(300))
                    .onMessage((body, m) -> kept.add(m)).consume();
            c.drainEvents(Duration.ofMillis(200));
            assertThat(kept).hasSize(3);
            waitFor(() -> consumer.prefetchWarnings.get() == 1);
            Thread.sleep(1500); // more checks of the same episode: no second warning
            assertThat(consumer.prefetchWarnings.get()).isEqualTo(1);

            kept.forEach(Message::ack); // the episode ends; the two left come, and are held again
            kept.clear();
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (kept.size() < 2 && System.nanoTime() < end) {
                c.drainEvents(Duration.ofMillis(100));
            }
            assertThat(kept).hasSize(2);
            Thread.sleep(1500); // 2 of 3 held: not the whole prefetch, no warning
            assertThat(consumer.prefetchWarnings.get()).isEqualTo(1);
            consumer.close();
        }
    }

    @Test
    void theWarningCanBeTurnedOffAndNoAckConsumersNeverWarn() throws Exception {
        try (Connection c = Connection.open("memory://prefetch-warning-off")) {
            Queue q = Queue.of("pw.off");
            c.producer().publish(1, PublishOptions.builder().routingKey(q.name()).declare(q).build());
            Consumer off = c.consumer(q).prefetch(1).prefetchWarning(Duration.ZERO).onMessage((b, m) -> { }).consume();
            c.drainEvents(Duration.ofMillis(200));
            Thread.sleep(1500);
            assertThat(off.prefetchWarnings.get()).isZero();
            off.close();
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(done.getAsBoolean()).as("condition within 5 s").isTrue();
    }
}
