package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@link PublishBatch} on a transport without confirms: what was sent counts as confirmed. */
class PublishBatchTest {

    @Test
    void everySentMessageIsConfirmedAndAFailedSendIsNotPartOfTheBatch() {
        try (Connection c = Connection.open("memory://" + UUID.randomUUID())) {
            Queue q = Queue.of("batch");
            Producer p = c.producer();
            PublishBatch batch = p.batch(4);
            assertThat(batch.publish(0, PublishOptions.builder().routingKey(q.name()).declare(q).build())).isZero();
            for (int i = 1; i < 10; i++) {
                assertThat(batch.publish(i, PublishOptions.routingKey(q.name()))).isEqualTo(i);
            }
            assertThatThrownBy(() -> batch.publish(new Object(), PublishOptions.routingKey(q.name())))
                    .isInstanceOf(EncodeException.class);
            assertThat(batch.publish(10, PublishOptions.routingKey(q.name()))).isEqualTo(10);

            PublishBatch.Result r = batch.await(Duration.ofSeconds(1));

            assertThat(r.published()).isEqualTo(11);
            assertThat(r.confirmed()).isEqualTo(11);
            assertThat(r.allConfirmed()).isTrue();
            assertThat(r.failures()).isEmpty();
            assertThat(batch.outstanding()).isZero();
            assertThat(c.channel().declareQueue(q, true).messageCount()).isEqualTo(11);
        }
    }

    @Test
    void theTrackedFutureOfATransportWithoutConfirmsIsComplete() {
        try (Connection c = Connection.open("memory://" + UUID.randomUUID())) {
            Queue q = Queue.of("tracked");
            CompletableFuture<Void> f = c.producer().publishTracked("x",
                    PublishOptions.builder().routingKey(q.name()).declare(q).build());
            assertThat(f).isCompleted();
            assertThat(f).isNotCompletedExceptionally();
        }
    }

    @Test
    void theWindowMustHoldAMessage() {
        try (Connection c = Connection.open("memory://")) {
            assertThatThrownBy(() -> c.producer().batch(0)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("at least 1");
        }
    }
}
