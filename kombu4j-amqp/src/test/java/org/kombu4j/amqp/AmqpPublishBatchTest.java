package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kombu4j.Connection;
import org.kombu4j.Producer;
import org.kombu4j.PublishBatch;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.UnroutableException;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.transport.TransportChannel;

/**
 * {@link PublishBatch} on a real RabbitMQ, in both confirm modes: every message is confirmed and
 * queued; a nacked message (a queue with {@code x-overflow reject-publish}) and an unroutable mandatory
 * one are reported by their index, the others still confirmed.
 */
class AmqpPublishBatchTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "?confirm_publish=async&confirm_window=16"})
    void everyMessageIsConfirmedAndFailuresAreNamedByIndex(String query) {
        String prefix = "k4jbatch." + UUID.randomUUID().toString().substring(0, 8) + ".";
        String q = prefix + "q";
        String full = prefix + "full";
        try (Connection c = Connection.open(LocalRabbit.url() + query)) {
            TransportChannel ch = c.channel();
            try {
                ch.declareQueue(Queue.of(q), false);
                ch.declareQueue(Queue.named(full).maxLength(1).argument("x-overflow", "reject-publish").build(), false);
                Producer p = Producer.builder(c).build();
                PublishBatch batch = p.batch(50);
                for (int i = 0; i < 1_000; i++) {
                    batch.publish("m" + i, PublishOptions.routingKey(q));
                }
                assertThat(batch.publish("first", PublishOptions.routingKey(full))).isEqualTo(1_000);
                assertThat(batch.publish("rejected", PublishOptions.routingKey(full))).isEqualTo(1_001);
                assertThat(batch.publish("nowhere", PublishOptions.builder().routingKey(prefix + "none").mandatory(true)
                        .build())).isEqualTo(1_002);
                batch.publish("last", PublishOptions.routingKey(q));

                PublishBatch.Result r = batch.await(Duration.ofSeconds(30));

                assertThat(r.published()).isEqualTo(1_004);
                assertThat(r.confirmed()).isEqualTo(1_002);
                assertThat(r.failures()).extracting(PublishBatch.Failure::index).containsExactlyInAnyOrder(1_001L, 1_002L);
                assertThat(r.failures()).filteredOn(f -> f.index() == 1_001).first()
                        .satisfies(f -> assertThat(f.cause()).hasMessageContaining("nacked"));
                assertThat(r.failures()).filteredOn(f -> f.index() == 1_002).first()
                        .satisfies(f -> assertThat(f.cause().getMessage()).containsAnyOf("unroutable", "no queue is bound"));
                assertThat(ch.declareQueue(Queue.of(q), true).messageCount()).isEqualTo(1_001);
                assertThat(batch.outstanding()).isZero();
            } finally {
                ch.deleteQueue(q);
                ch.deleteQueue(full);
            }
        } catch (UnroutableException e) {
            throw new AssertionError("a batch reports an unroutable message, it does not throw", e);
        }
    }
}
