package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** RabbitMQ's queue types as Queue arguments, and the combinations the broker would refuse. */
class QueueTypeTest {
    @Test
    void typesAreArgumentsUnderRabbitMqsNames() {
        Queue q = Queue.named("orders").quorum().initialGroupSize(3).deliveryLimit(2).build();
        assertThat(q.queueType()).isEqualTo("quorum");
        assertThat(q.arguments()).containsEntry("x-queue-type", "quorum")
                .containsEntry("x-quorum-initial-group-size", 3).containsEntry("x-delivery-limit", 2);
        assertThat(Queue.named("log").stream().build().arguments()).containsEntry("x-queue-type", "stream");
        assertThat(Queue.named("c").queueType("classic").build().queueType()).isEqualTo("classic");
        assertThat(Queue.of("plain").queueType()).isNull();
        // The generic argument form is checked the same way at build.
        assertThat(Queue.named("q").argument(Queue.QUEUE_TYPE, "quorum").build().queueType()).isEqualTo("quorum");
    }

    @Test
    void replicatedTypesMustBeDurableSharedQueues() {
        assertThatThrownBy(() -> Queue.named("q").queueType("lazy")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("classic, quorum or stream");
        assertThatThrownBy(() -> Queue.named("q").quorum().durable(false).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("must be durable");
        assertThatThrownBy(() -> Queue.named("q").stream().exclusive(true).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("stream");
        assertThatThrownBy(() -> Queue.named("q").argument(Queue.QUEUE_TYPE, "quorum").autoDelete(true).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("auto-delete");
        assertThatThrownBy(() -> Queue.named("q").initialGroupSize(0)).isInstanceOf(ConfigurationException.class);
        // A classic queue may still be anything.
        assertThat(Queue.named("q").queueType("classic").exclusive(true).autoDelete(true).durable(false).build()
                .isExclusive()).isTrue();
    }
}
