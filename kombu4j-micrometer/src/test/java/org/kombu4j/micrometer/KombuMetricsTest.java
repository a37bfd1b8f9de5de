package org.kombu4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.HandlerFailure;
import org.kombu4j.Message;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.testkit.brokers.PrivateRedis;

/** The meters on {@code memory://} and on a (private) Redis, read back from a {@link SimpleMeterRegistry}. */
class KombuMetricsTest {
    private static double count(MeterRegistry r, String name, String... tags) {
        var c = r.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private static double gauge(MeterRegistry r, String name, String... tags) {
        var g = r.find(name).tags(tags).gauge();
        assertThat(g).as(name + " " + List.of(tags)).isNotNull();
        return g.value();
    }

    @Test
    void countsTheLifeOfMessagesOnMemory() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KombuMetrics metrics = new KombuMetrics(Tags.of("app", "test"), true);
        metrics.bindTo(registry);
        String url = "memory://metrics" + UUID.randomUUID().toString().substring(0, 8);
        Exchange ex = Exchange.direct("orders-ex");
        Queue q = Queue.of("orders", ex, "new");
        int[] n = {0};
        try (Connection conn = Connection.builder(url).observer(metrics).build()) {
            for (int i = 0; i < 4; i++) {
                conn.producer(ex).publish(i, PublishOptions.builder().routingKey("new").declare(q).build());
            }
            assertThat(gauge(registry, "kombu.connections.connected", "app", "test")).isEqualTo(1);
            java.util.List<Message> held = new java.util.ArrayList<>();
            conn.consumer(q).onHandlerFailure(HandlerFailure.REJECT).onMessage((body, m) -> {
                switch (n[0]++) {
                    case 0 -> m.ack();
                    case 1 -> m.reject(false);
                    case 2 -> held.add(m); // kept in flight
                    default -> {
                        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                        throw new IllegalStateException("handler fails");
                    }
                }
            }).consume();
            for (int i = 0; i < 20 && n[0] < 4; i++) {
                conn.drainEvents(Duration.ofMillis(200));
            }
            assertThat(n[0]).isEqualTo(4);
            assertThat(count(registry, "kombu.messages.published", "exchange", "orders-ex", "routing.key", "new", "app", "test"))
                    .isEqualTo(4);
            assertThat(count(registry, "kombu.messages.delivered", "queue", "orders")).isEqualTo(4);
            assertThat(count(registry, "kombu.messages.acknowledged", "queue", "orders")).isEqualTo(1);
            assertThat(count(registry, "kombu.messages.rejected", "queue", "orders", "requeue", "false")).isEqualTo(2);
            assertThat(gauge(registry, "kombu.messages.in.flight", "queue", "orders")).isEqualTo(1);
            var ok = registry.find("kombu.handler").tags("queue", "orders", "outcome", "success").timer();
            var failed = registry.find("kombu.handler").tags("queue", "orders", "outcome", "failure").timer();
            assertThat(ok.count()).isEqualTo(3);
            assertThat(failed.count()).isEqualTo(1);
            assertThat(failed.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(20);
            held.get(0).ack();
            assertThat(gauge(registry, "kombu.messages.in.flight", "queue", "orders")).isZero();
        }
        assertThat(gauge(registry, "kombu.connections.connected")).isZero();
    }

    @Test
    void theDefaultExchangeAndTheRoutingKeyTagCanBeLeftOut() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KombuMetrics metrics = new KombuMetrics(Tags.empty(), false);
        metrics.bindTo(registry);
        try (Connection conn = Connection.builder("memory://m" + UUID.randomUUID()).observer(metrics).build()) {
            conn.producer().publish("x", PublishOptions.builder().routingKey("a").declare(Queue.of("a")).build());
            conn.producer().publish("x", PublishOptions.builder().routingKey("b").declare(Queue.of("b")).build());
        }
        var c = registry.find("kombu.messages.published").counters();
        assertThat(c).hasSize(1);
        assertThat(c.iterator().next().getId().getTag("exchange")).isEqualTo(KombuMetrics.DEFAULT_EXCHANGE);
        assertThat(c.iterator().next().getId().getTag("routing.key")).isNull();
        assertThat(c.iterator().next().count()).isEqualTo(2);
        assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void countsOnRedisAndFollowsTheConnectionState() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KombuMetrics metrics = new KombuMetrics();
        metrics.bindTo(registry);
        try (PrivateRedis redis = new PrivateRedis();
                Connection conn = Connection.builder(redis.url("")).observer(metrics).build()) {
            Queue q = Queue.of("jobs");
            for (int i = 0; i < 10; i++) {
                conn.producer().publish(i, PublishOptions.builder().routingKey("jobs").declare(q).build());
            }
            int[] n = {0};
            conn.consumer(q).onMessage((body, m) -> {
                n[0]++;
                if (!m.isRedelivered() && n[0] <= 2) {
                    m.requeue();
                } else {
                    m.ack();
                }
            }).consume();
            for (int i = 0; i < 50 && count(registry, "kombu.messages.acknowledged", "queue", "jobs") < 10; i++) {
                conn.drainEvents(Duration.ofMillis(200));
            }
            assertThat(count(registry, "kombu.messages.published", "exchange", "amq.default", "routing.key", "jobs"))
                    .isEqualTo(10);
            assertThat(count(registry, "kombu.messages.acknowledged", "queue", "jobs")).isEqualTo(10);
            assertThat(count(registry, "kombu.messages.rejected", "queue", "jobs", "requeue", "true")).isEqualTo(2);
            assertThat(count(registry, "kombu.messages.redelivered", "queue", "jobs")).isEqualTo(2);
            assertThat(count(registry, "kombu.messages.delivered", "queue", "jobs")).isEqualTo(12);
            assertThat(gauge(registry, "kombu.messages.in.flight", "queue", "jobs")).isZero();
            assertThat(gauge(registry, "kombu.connections.connected")).isEqualTo(1);

            redis.kill();
            try {
                conn.producer().publish("lost", "jobs");
            } catch (RuntimeException expected) {
                // the loss is found by this publish (or by the transport before it)
            }
            assertThat(gauge(registry, "kombu.connections.connected")).isZero();
            assertThat(count(registry, "kombu.connections.lost")).isEqualTo(1);
            assertThat(count(registry, "kombu.messages.publish.errors", "routing.key", "jobs")).isLessThanOrEqualTo(1);
            redis.start();
            conn.ensureConnection(RetryPolicy.DEFAULT);
            assertThat(gauge(registry, "kombu.connections.connected")).isEqualTo(1);
            assertThat(count(registry, "kombu.connections.restored")).isEqualTo(1);
        }
    }
}
