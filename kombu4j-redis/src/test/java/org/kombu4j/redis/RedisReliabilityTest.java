package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.Message;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.transport.DeadLetters;
import org.junit.jupiter.api.Test;

/**
 * Delayed delivery, dead letters and leases on a private redis-server, with consumers in child JVMs
 * killed by SIGKILL (no close, no restore): nothing is lost, nothing delivered early, and what a dead
 * consumer held comes back or is dead-lettered as its count says.
 */
class RedisReliabilityTest {

    // ---------------------------------------------------------------- delayed delivery

    @Test
    void aThousandDelayedMessagesDueAtOnceArriveNeverEarly() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); Connection c = Connection.open(redis.url("")); Connection p = Connection.open(redis.url(""))) {
            Queue q = Queue.of("delayed.burst");
            c.channel().declareQueue(q, false);
            int n = 1000;
            Map<Object, Long> arrived = new ConcurrentHashMap<>();
            List<Object> duplicates = new CopyOnWriteArrayList<>();
            c.consumer(q).prefetch(200).onMessage((body, m) -> {
                if (arrived.putIfAbsent(body, System.currentTimeMillis()) != null) {
                    duplicates.add(body);
                }
                m.ack();
            }).consume();
            c.drainEvents(Duration.ofMillis(100));
            // Round 0 warms both JVM sides up; round 1 is the one measured.
            for (int round = 0; round < 2; round++) {
                arrived.clear();
                long due = System.currentTimeMillis() + 3000;
                Producer pr = p.producer();
                for (int i = 0; i < n; i++) {
                    pr.publish(i, PublishOptions.builder().routingKey(q.name()).eta(Instant.ofEpochMilli(due)).build());
                }
                long published = System.currentTimeMillis();
                assertThat(published).as("all published before they are due (else the test measures publishing)").isLessThan(due);
                drainUntil(c, () -> arrived.size() >= n, 15);
                c.drainEvents(Duration.ofMillis(300));
                assertThat(arrived).hasSize(n);
                assertThat(duplicates).isEmpty();
                List<Long> lateness = new ArrayList<>();
                for (long at : arrived.values()) {
                    lateness.add(at - due);
                }
                Collections.sort(lateness);
                assertThat(lateness.get(0)).as("never early").isGreaterThanOrEqualTo(0);
                System.out.printf("delayed burst %d of %d messages: lateness min %d ms, p50 %d ms, p99 %d ms, max %d ms%n", round, n,
                        lateness.get(0), lateness.get(n / 2), lateness.get(n * 99 / 100 - 1), lateness.get(n - 1));
            }
        }
    }

    @Test
    void aNewEarliestDelayedMessageFromAnotherProcessWakesTheConsumer() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); Connection c = Connection.open(redis.url("")); Connection p = Connection.open(redis.url(""))) {
            Queue q = Queue.of("delayed.earlier");
            c.channel().declareQueue(q, false);
            Map<Object, Long> arrived = new ConcurrentHashMap<>();
            c.consumer(q).onMessage((body, m) -> {
                arrived.put(body, System.currentTimeMillis());
                m.ack();
            }).consume();
            p.producer().publish("late", PublishOptions.builder().routingKey(q.name()).countdown(Duration.ofSeconds(30)).build());
            c.drainEvents(Duration.ofMillis(300)); // the consumer now waits for the head, 30 s away
            long due = System.currentTimeMillis() + 400;
            p.producer().publish("early", PublishOptions.builder().routingKey(q.name()).eta(Instant.ofEpochMilli(due)).build());
            drainUntil(c, () -> arrived.containsKey("early"), 5);
            assertThat(arrived).containsOnlyKeys("early");
            assertThat(arrived.get("early")).isGreaterThanOrEqualTo(due).isLessThan(due + 1000);
        }
    }

    @Test
    void delayedMessagesArriveWhenDueOnAHubThread() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); org.kombu4j.hub.Hub hub = new org.kombu4j.hub.Hub();
                Connection c = Connection.open(redis.url("")); Connection p = Connection.open(redis.url(""))) {
            Thread loop = new Thread(hub::runForever, "hub-loop");
            loop.start();
            c.registerWithEventLoop(hub);
            Queue q = Queue.of("delayed.hub");
            Map<Object, Long> arrived = new ConcurrentHashMap<>();
            c.consumer(q).onMessage((body, m) -> {
                arrived.put(body, System.currentTimeMillis());
                m.ack();
            }).consume();
            long due = System.currentTimeMillis() + 800;
            p.producer().publish("b", PublishOptions.builder().routingKey(q.name()).eta(Instant.ofEpochMilli(due + 400)).build());
            p.producer().publish("a", PublishOptions.builder().routingKey(q.name()).eta(Instant.ofEpochMilli(due)).build());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (arrived.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            hub.stop();
            loop.join(2000);
            assertThat(arrived).containsOnlyKeys("a", "b");
            assertThat(arrived.get("a")).isGreaterThanOrEqualTo(due);
            assertThat(arrived.get("b")).isGreaterThanOrEqualTo(due + 400);
        }
    }

    @Test
    void delayedMessagesWaitingWhileTheirConsumerIsKilledAreDeliveredOnce() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("?visibility_timeout=1&unacked_restore_interval=0.2");
            Queue q = Queue.of("delayed.kill");
            int n = 50;
            Child child = Child.start(url, q.name(), 0);
            long due;
            try (Connection p = Connection.open(url)) {
                p.channel().declareQueue(q, false);
                child.await("READY", 60);
                due = System.currentTimeMillis() + 1500;
                for (int i = 0; i < n; i++) {
                    p.producer().publish(i, PublishOptions.builder().routingKey(q.name())
                            .eta(Instant.ofEpochMilli(due + i * 30L)).build());
                }
                // Killed while every message waits, its timer armed for the first due time.
                Thread.sleep(Math.max(0, due - 300 - System.currentTimeMillis()));
            } finally {
                child.kill();
            }
            assertThat(child.values("GOT ")).as("taken by the child before it was due").isEmpty();
            Map<Object, Long> arrived = new ConcurrentHashMap<>();
            List<Object> twice = new CopyOnWriteArrayList<>();
            try (Connection c = Connection.open(url)) {
                c.consumer(q).onMessage((body, m) -> {
                    if (arrived.putIfAbsent(body, System.currentTimeMillis()) != null || m.isRedelivered()) {
                        twice.add(body);
                    }
                    m.ack();
                }).consume();
                drainUntil(c, () -> arrived.size() >= n, 15);
                c.drainEvents(Duration.ofMillis(500));
            }
            assertThat(twice).isEmpty();
            assertThat(arrived).hasSize(n);
            for (Map.Entry<Object, Long> e : arrived.entrySet()) {
                assertThat(e.getValue()).as("message %s never early", e.getKey()).isGreaterThanOrEqualTo(due + (Integer) e.getKey() * 30L);
            }
        }
    }

    // ---------------------------------------------------------------- dead letters

    @Test
    void aMessageHeldByConsumersKilledOneAfterAnotherIsDeadLetteredAtTheLimit() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("?visibility_timeout=1&unacked_restore_interval=0.2");
            Exchange dlx = Exchange.direct("dlx");
            Queue dlq = Queue.of("kill.dlq", dlx, "dead");
            Queue q = Queue.named("kill.q").deadLetter(dlx.name(), "dead").deliveryLimit(2).build();
            List<Message> dead = new CopyOnWriteArrayList<>();
            try (Connection c = Connection.open(url)) {
                c.channel().declareQueue(q, false);
                c.consumer(dlq).onMessage((body, m) -> {
                    dead.add(m);
                    m.ack();
                }).consume();
                c.producer().publish("poison", q.name());
                int deliveries = 0;
                // Each child takes it and dies holding it; this connection's restorer brings it back.
                while (dead.isEmpty() && deliveries < 6) {
                    Child child = Child.start(url, q.name(), -1);
                    try {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                        while (child.values("GOT ").isEmpty() && dead.isEmpty() && System.nanoTime() < deadline) {
                            c.drainEvents(Duration.ofMillis(100));
                        }
                        if (!child.values("GOT ").isEmpty()) {
                            deliveries++;
                        }
                    } finally {
                        child.kill();
                    }
                }
                drainUntil(c, () -> !dead.isEmpty(), 10);
                assertThat(deliveries).as("deliveries with limit 2: the first and two returns").isEqualTo(3);
                assertThat(dead).hasSize(1);
                Message m = dead.get(0);
                assertThat(String.valueOf(DeadLetters.last(m.headers()).get("reason"))).isEqualTo(DeadLetters.DELIVERY_LIMIT);
                assertThat(String.valueOf(DeadLetters.last(m.headers()).get("queue"))).isEqualTo(q.name());
                assertThat(m.headers()).doesNotContainKey(DeliveryCount.HEADER);
                try (RedisConnection admin = TestRedis.admin(redis)) {
                    assertThat(Resp.integer(admin.call(List.of("HLEN", "unacked")))).as("nothing left in flight").isZero();
                    assertThat(Resp.integer(admin.call(List.of("LLEN", q.name())))).isZero();
                }
            }
        }
    }

    // ---------------------------------------------------------------- leases

    /** A 2 s lease (visibility_timeout stays Kombu's 3600 s): renewals every ~0.7 s, restores looked for every 0.2 s. */
    private static final String LEASE = "?lease_timeout=2&unacked_restore_interval=0.2";

    @Test
    void aHandlerThreeTimesTheLeaseIsNotRedeliveredWhileItsConsumerLives() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url(LEASE);
            Queue q = Queue.of("lease.slow");
            List<Object> second = new CopyOnWriteArrayList<>();
            try (Connection c = Connection.open(url)) {
                c.channel().declareQueue(q, false);
                Child child = Child.start(url, q.name(), 6000); // the handler blocks the child's event thread
                try {
                    child.await("READY", 60);
                    c.producer().publish("slow", q.name());
                    child.await("GOT slow", 10);
                    // Another consumer, whose restorer runs all along, waits while the child works.
                    c.consumer(q).onMessage((body, m) -> {
                        second.add(body);
                        m.ack();
                    }).consume();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (child.values("ACKED ").isEmpty() && System.nanoTime() < deadline) {
                        c.drainEvents(Duration.ofMillis(100));
                    }
                    c.drainEvents(Duration.ofMillis(500));
                } finally {
                    child.kill();
                }
                assertThat(child.values("ACKED ")).as("child output %s", child.lines).containsExactly("slow");
                assertThat(second).as("redelivered to a second consumer while the first lived").isEmpty();
                try (RedisConnection admin = TestRedis.admin(redis)) {
                    assertThat(Resp.integer(admin.call(List.of("HLEN", "unacked")))).isZero();
                    assertThat(Resp.integer(admin.call(List.of("ZCARD", "_kombu4j.leases")))).isZero();
                }
            }
        }
    }

    @Test
    void aKilledConsumersMessageComesBackWithinTwiceTheLease() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url(LEASE);
            Queue q = Queue.of("lease.kill");
            Map<Object, Long> back = new ConcurrentHashMap<>();
            try (Connection c = Connection.open(url)) {
                c.channel().declareQueue(q, false);
                Child child = Child.start(url, q.name(), -1);
                long killedAt;
                try {
                    child.await("READY", 60);
                    c.producer().publish("held", q.name());
                    child.await("GOT held", 10);
                    Thread.sleep(3000); // held past its first lease: only renewals kept it
                } finally {
                    child.kill();
                    killedAt = System.currentTimeMillis();
                }
                c.consumer(q).onMessage((body, m) -> {
                    if (m.isRedelivered()) {
                        back.put(body, System.currentTimeMillis());
                    }
                    m.ack();
                }).consume();
                drainUntil(c, () -> !back.isEmpty(), 10);
                assertThat(back).containsOnlyKeys("held");
                long after = back.get("held") - killedAt;
                System.out.printf("lease 2 s: a killed consumer's message came back after %d ms%n", after);
                assertThat(after).as("back within 2x the lease").isLessThan(4000);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void drainUntil(Connection c, BooleanSupplier done, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(50));
        }
    }

    /** A {@link ReliabilityChild} JVM and the lines it printed. */
    static final class Child {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        private Child(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // The child died: its output ends here.
                }
            }, "child-output");
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(String url, String queue, long handlerMillis) {
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            try {
                return new Child(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                        ReliabilityChild.class.getName(), url, queue, Long.toString(handlerMillis)).redirectErrorStream(true).start());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void await(String line, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!lines.contains(line) && System.nanoTime() < deadline && process.isAlive()) {
                Thread.sleep(10);
            }
            assertThat(lines).as("child output").contains(line);
        }

        /** The integers (or strings) after {@code prefix} in the lines printed so far. */
        @SuppressWarnings("unchecked")
        <T> List<T> values(String prefix) {
            List<Object> out = new ArrayList<>();
            for (String l : lines) {
                if (l.startsWith(prefix)) {
                    String v = l.substring(prefix.length());
                    out.add(v.matches("-?\\d+") ? (Object) Integer.valueOf(v) : v);
                }
            }
            return (List<T>) out;
        }

        /** SIGKILL: no close, no restore. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
