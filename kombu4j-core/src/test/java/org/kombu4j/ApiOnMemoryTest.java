package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kombu4j.transport.TransportChannel;

/** The user API driven end to end over {@code memory://}. */
class ApiOnMemoryTest {
    private static String unique(String what) {
        return "api." + what + "." + UUID.randomUUID();
    }

    @Test
    void simpleQueuePutGetAckSizeClear() {
        try (Connection c = Connection.open("memory://api"); SimpleQueue q = c.simpleQueue(unique("sq"))) {
            q.put(Map.of("hello", "world"));
            q.put("second");
            assertThat(q.size()).isEqualTo(2);
            Message m = q.get(Duration.ofSeconds(2));
            assertThat(m.decode()).isEqualTo(Map.of("hello", "world"));
            m.ack();
            Message m2 = q.getNowait();
            assertThat(m2.decode()).isEqualTo("second");
            m2.ack();
            assertThatThrownBy(() -> q.get(Duration.ofMillis(50))).isInstanceOf(EmptyQueueException.class)
                    .hasMessageContaining("no message");
            assertThatThrownBy(q::getNowait).isInstanceOf(EmptyQueueException.class);
            q.put(1);
            q.put(2);
            assertThat(q.clear()).isEqualTo(2);
        }
    }

    /** Where the transport does not batch acks, ackSoon is an ack: settled once, not given back on close. */
    @Test
    void ackSoonSettlesTheMessageAndItDoesNotComeBack() {
        String name = unique("soon");
        try (Connection c = Connection.open("memory://api")) {
            try (SimpleQueue q = c.simpleQueue(name)) {
                q.put("once");
                Message m = q.get(Duration.ofSeconds(2));
                m.ackSoon();
                assertThat(m.state()).isEqualTo(Message.State.ACKNOWLEDGED);
                assertThatThrownBy(m::ack).isInstanceOf(MessageStateException.class);
            }
            try (SimpleQueue q = c.simpleQueue(name)) {
                assertThat(q.size()).isZero();
                assertThatThrownBy(q::getNowait).isInstanceOf(EmptyQueueException.class);
            }
        }
    }

    @Test
    void eventLoopIteratesWithLimitAndTimeouts() {
        try (Connection c = Connection.open("memory://api")) {
            Queue q = Queue.of(unique("el"));
            List<Object> got = new CopyOnWriteArrayList<>();
            c.consumer(q).onMessage((b, m) -> {
                got.add(b);
                m.ack();
            }).consume();
            c.producer().publish(1, q.name());
            int steps = 0;
            for (boolean delivered : EventLoop.iterate(c, 3, Duration.ofMillis(20), true)) {
                steps++;
            }
            assertThat(steps).isEqualTo(3);
            assertThat(got).containsExactly(1);
            assertThatThrownBy(() -> EventLoop.iterate(c, 1, Duration.ofMillis(20), false).iterator().next())
                    .isInstanceOf(DrainTimeoutException.class);
        }
    }

    @Test
    void unknownSerializerAndCompressorFailClearlyWhenBuildingOrPublishing() {
        try (Connection c = Connection.open("memory://api")) {
            assertThatThrownBy(() -> Producer.builder(c).serializer("nope").build())
                    .isInstanceOf(EncodeException.class).hasMessageContaining("nope");
            assertThatThrownBy(() -> Producer.builder(c).compression("nope").build())
                    .isInstanceOf(EncodeException.class).hasMessageContaining("nope");
            assertThatThrownBy(() -> c.producer().publish(1, PublishOptions.builder().routingKey("x").serializer("pickle").build()))
                    .isInstanceOf(EncodeException.class).hasMessageContaining("pickle");
        }
    }

    @Test
    void publishingToAnUndeclaredExchangeFailsAndMandatoryReportsUnroutable() {
        try (Connection c = Connection.open("memory://api")) {
            Producer p = Producer.builder(c).exchange(Exchange.direct(unique("ex"))).autoDeclare(false).build();
            assertThatThrownBy(() -> p.publish(1, "rk")).isInstanceOf(NotFoundException.class).hasMessageContaining("not declared");
            Producer p2 = c.producer(Exchange.direct(unique("ex2")));
            p2.publish(1, "nobody"); // not mandatory: dropped as on AMQP
            assertThatThrownBy(() -> p2.publish(1, PublishOptions.builder().routingKey("nobody").mandatory(true).build()))
                    .isInstanceOf(UnroutableException.class).hasMessageContaining("nobody");
        }
    }

    @Test
    void redeclaringWithOtherArgumentsOrTypeIsRefused() {
        try (Connection c = Connection.open("memory://api")) {
            TransportChannel ch = c.channel();
            String name = unique("q");
            ch.declareQueue(Queue.named(name).maxPriority(5).build(), false);
            assertThatThrownBy(() -> ch.declareQueue(Queue.named(name).maxPriority(9).build(), false))
                    .isInstanceOf(PreconditionFailedException.class).hasMessageContaining(name);
            String ex = unique("ex");
            ch.declareExchange(Exchange.direct(ex), false);
            assertThatThrownBy(() -> ch.declareExchange(Exchange.topic(ex), false))
                    .isInstanceOf(PreconditionFailedException.class).hasMessageContaining("direct");
            ch.deleteQueue(name);
            ch.deleteExchange(ex);
        }
    }

    @Test
    void consumerNeedsQueuesAndAHandler() {
        try (Connection c = Connection.open("memory://api")) {
            assertThatThrownBy(() -> c.consumer().onMessage((b, m) -> { }).build())
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("queue");
            assertThatThrownBy(() -> c.consumer(Queue.of("x")).build())
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("handler");
            assertThatThrownBy(() -> c.consumer(Queue.of("x")).accept("nosuch"))
                    .isInstanceOf(KombuException.class).hasMessageContaining("nosuch");
        }
    }

    @Test
    void closedConnectionRefusesWork() {
        Connection c = Connection.open("memory://api");
        c.close();
        assertThatThrownBy(() -> c.producer().publish(1, "q")).isInstanceOf(ClosedException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void ensureReconnectsAndRetriesOperationalFaults() {
        List<Duration> slept = new ArrayList<>();
        RetryPolicy policy = RetryPolicy.builder().maxRetries(3).intervalStart(Duration.ZERO)
                .intervalStep(Duration.ofMillis(1)).sleeper(slept::add).build();
        try (Connection c = Connection.open("memory://a;memory://b")) {
            AtomicInteger calls = new AtomicInteger();
            String url = c.ensure(policy, () -> {
                c.transport();
                if (calls.incrementAndGet() < 3) {
                    throw new OperationalException("broker went away");
                }
                return c.url().host();
            });
            assertThat(calls).hasValue(3);
            assertThat(url).isEqualTo("a"); // a -> b -> a: each failure moved to the next failover URL
            assertThat(c.generation()).isEqualTo(3);
        }
    }

    @Test
    void connectionPoolIsBoundedAndTimesOut() throws Exception {
        try (ConnectionPool pool = ConnectionPool.of("memory://pool", 2)) {
            ConnectionPool.Lease a = pool.acquire(Duration.ofSeconds(1));
            ConnectionPool.Lease b = pool.acquire(Duration.ofSeconds(1));
            assertThat(pool.available()).isZero();
            assertThatThrownBy(() -> pool.acquire(Duration.ofMillis(50))).isInstanceOf(PoolTimeoutException.class)
                    .hasMessageContaining("2");
            Connection first = a.connection();
            a.close();
            try (ConnectionPool.Lease again = pool.acquire(Duration.ofSeconds(1))) {
                assertThat(again.connection()).isSameAs(first);
            }
            b.close();
            assertThat(pool.available()).isEqualTo(2);
            ProducerPool producers = new ProducerPool(pool);
            Queue q = Queue.of(unique("pp"));
            try (ProducerPool.Lease lease = producers.acquire(Duration.ofSeconds(1))) {
                lease.producer().publish("x", PublishOptions.builder().routingKey(q.name()).declare(q).build());
            }
            try (Connection c = Connection.open("memory://pool")) {
                assertThat(c.channel().get(q.name(), true)).isNotNull();
            }
        }
    }

    @Test
    void consumerLoopRunsUntilStoppedAndRebuildsConsumersAfterAFault() throws Exception {
        Queue q = Queue.of(unique("loop"));
        List<Object> got = new CopyOnWriteArrayList<>();
        CountDownLatch two = new CountDownLatch(2);
        AtomicInteger built = new AtomicInteger();
        try (Connection c = Connection.open("memory://loop")) {
            ConsumerLoop loop = ConsumerLoop.builder(c, conn -> {
                built.incrementAndGet();
                return List.of(conn.consumer(q).onMessage((b, m) -> {
                    got.add(b);
                    m.ack();
                    two.countDown();
                    if (got.size() == 1) {
                        throw new OperationalException("simulated connection loss");
                    }
                }).build());
            }).drainTimeout(Duration.ofMillis(50)).reconnect(RetryPolicy.builder().maxRetries(-1)
                    .intervalStart(Duration.ZERO).intervalStep(Duration.ZERO).intervalMax(Duration.ZERO).build()).build();
            Thread t = new Thread(loop::run);
            t.start();
            try (Connection p = Connection.open("memory://loop")) {
                p.producer().publish("one", PublishOptions.builder().routingKey(q.name()).declare(q).build());
                p.producer().publish("two", q.name());
            }
            assertThat(two.await(5, TimeUnit.SECONDS)).isTrue();
            loop.stop();
            t.join(5000);
            assertThat(t.isAlive()).isFalse();
            assertThat(built.get()).isGreaterThanOrEqualTo(2);
            assertThat(got).containsExactly("one", "two");
        }
    }

    @Test
    void delayAndDeadLetterOptionsAreCheckedWhenSet() {
        assertThatThrownBy(() -> PublishOptions.builder().countdown(Duration.ofSeconds(-1)))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("countdown");
        assertThatThrownBy(() -> Queue.named("q").deliveryLimit(-1)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("deliveryLimit");
        Queue q = Queue.named("q").deadLetter("dlx", "dead").deliveryLimit(3).build();
        assertThat(q.deadLetterExchange()).isEqualTo("dlx");
        assertThat(q.deadLetterRoutingKey()).isEqualTo("dead");
        assertThat(q.deliveryLimit()).isEqualTo(3);
        assertThat(q.arguments()).containsEntry("x-dead-letter-exchange", "dlx").containsEntry("x-delivery-limit", 3);
        assertThat(Queue.named("q").deadLetter("", null).build().deadLetterRoutingKey()).isNull();
        // The one set last wins.
        long now = 1_000_000L;
        assertThat(PublishOptions.builder().eta(java.time.Instant.ofEpochMilli(5)).countdown(Duration.ofSeconds(2)).build()
                .deliverAt(now)).isEqualTo(now + 2001);
        // Sub-millisecond parts round up, so no transport comparing milliseconds lets a message out early.
        assertThat(PublishOptions.builder().eta(java.time.Instant.ofEpochSecond(10, 1_000_001)).build().deliverAt(now))
                .isEqualTo(10_002);
        assertThat(PublishOptions.builder().countdown(Duration.ofNanos(1_500_000)).build().deliverAt(now)).isEqualTo(now + 3);
        assertThat(PublishOptions.builder().countdown(Duration.ofSeconds(2)).eta(java.time.Instant.ofEpochMilli(5)).build()
                .deliverAt(now)).isEqualTo(5);
        assertThat(PublishOptions.builder().countdown(Duration.ZERO).build().deliverAt(now)).isZero();
    }
}
