package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.OperationalException;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * {@code Producer.publishTracked} on Redis: written without waiting, each future completed by Redis's reply
 * ({@link TrackedPublishes}), failed by an error reply or a lost connection, never left pending.
 */
class RedisTrackedPublishTest {
    private static final String URL = "redis://127.0.0.1:6379/13";

    @Test
    void manyTrackedPublishesCompleteAndArriveOnceInOrder() {
        TestRedis.require();
        String q = TestRedis.uniqueId("celsend.tracked");
        int n = 20_000;
        try (Connection conn = Connection.open(URL)) {
            TransportChannel ch = conn.channel();
            ch.declareQueue(Queue.of(q), false);
            Producer p = conn.producer();
            List<CompletableFuture<Void>> futures = new ArrayList<>(n);
            List<Integer> completionOrder = new CopyOnWriteArrayList<>();
            for (int i = 0; i < n; i++) {
                int idx = i;
                CompletableFuture<Void> f = p.publishTracked(i, PublishOptions.routingKey(q));
                futures.add(f.whenComplete((v, e) -> completionOrder.add(idx)));
            }
            CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).orTimeout(30, TimeUnit.SECONDS).join();
            assertThat(completionOrder).as("futures complete in the order of the publishes")
                    .isSortedAccordingTo(Integer::compare).hasSize(n);
            List<Integer> got = drain(ch, q);
            assertThat(got).as("each message once, in order").hasSize(n);
            for (int i = 0; i < n; i++) {
                assertThat(got.get(i)).isEqualTo(i);
            }
            ch.deleteQueue(q);
        }
    }

    @Test
    void routedTrackedPublishesReachEveryBoundQueue() {
        TestRedis.require();
        String ex = TestRedis.uniqueId("celsend.ex");
        String q1 = TestRedis.uniqueId("celsend.r1");
        String q2 = TestRedis.uniqueId("celsend.r2");
        int n = 2_000;
        try (Connection conn = Connection.open(URL)) {
            TransportChannel ch = conn.channel();
            ch.declareExchange(Exchange.direct(ex), false);
            ch.declareQueue(Queue.of(q1), false);
            ch.declareQueue(Queue.of(q2), false);
            ch.bind(q1, Binding.of(Exchange.direct(ex), "k"));
            ch.bind(q2, Binding.of(Exchange.direct(ex), "k"));
            Producer p = Producer.builder(conn).exchange(Exchange.direct(ex)).build();
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(p.publishTracked(i, PublishOptions.routingKey("k")));
            }
            // Unbound routing key, not mandatory: dropped, as a confirm of an unroutable message (complete).
            futures.add(p.publishTracked(-1, PublishOptions.routingKey("nobody")));
            CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).orTimeout(30, TimeUnit.SECONDS).join();
            for (String q : List.of(q1, q2)) {
                List<Integer> got = drain(ch, q);
                assertThat(got).hasSize(n);
                for (int i = 0; i < n; i++) {
                    assertThat(got.get(i)).isEqualTo(i);
                }
            }
            ch.deleteQueue(q1);
            ch.deleteQueue(q2);
            ch.deleteExchange(ex);
        }
    }

    @Test
    void anErrorReplyFailsItsFutureAndOnlyIt() throws Exception {
        TestRedis.require();
        String key = TestRedis.uniqueId("celsend.string");
        String q = TestRedis.uniqueId("celsend.ok");
        try (RedisConnection raw = TestRedis.raw(13); Connection conn = Connection.open(URL)) {
            raw.call(List.of("SET", key, "not a list"));
            Producer p = conn.producer();
            CompletableFuture<Void> before = p.publishTracked("a", PublishOptions.routingKey(q));
            CompletableFuture<Void> bad = p.publishTracked("b", PublishOptions.routingKey(key));
            CompletableFuture<Void> after = p.publishTracked("c", PublishOptions.routingKey(q));
            after.get(10, TimeUnit.SECONDS);
            before.get(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(OperationalException.class)
                    .hasMessageContaining("routing key '" + key + "'").hasMessageContaining("WRONGTYPE");
            raw.call(List.of("DEL", key, q));
        }
    }

    @Test
    void aBrokerKilledMidStreamFailsEveryOutstandingFuture() throws Exception {
        try (PrivateRedis redis = new PrivateRedis();
                Connection conn = Connection.open(redis.url("?socket_timeout=5"))) {
            Producer p = conn.producer();
            conn.channel().declareQueue(Queue.of("celsend.kill"), false);
            List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
            List<RuntimeException> thrown = new CopyOnWriteArrayList<>();
            CountDownLatch some = new CountDownLatch(1);
            Thread sender = new Thread(() -> {
                for (int i = 0; i < 5_000_000; i++) {
                    try {
                        futures.add(p.publishTracked(i, PublishOptions.routingKey("celsend.kill")));
                    } catch (RuntimeException e) {
                        thrown.add(e);
                        return;
                    }
                    if (i == 2_000) {
                        some.countDown();
                    }
                }
            }, "sender");
            sender.start();
            assertThat(some.await(30, TimeUnit.SECONDS)).isTrue();
            redis.kill();
            long t0 = System.nanoTime();
            sender.join(TimeUnit.SECONDS.toMillis(15));
            assertThat(sender.isAlive()).as("the sender is not stuck").isFalse();
            assertThat(thrown).as("the next publish after the loss throws").hasSize(1);
            CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(new CompletableFuture[0]));
            // Every future settles, well within the socket timeout: the loss itself fails the outstanding ones.
            assertThatThrownBy(() -> all.get(4, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(5);
            long failed = futures.stream().filter(CompletableFuture::isCompletedExceptionally).count();
            assertThat(failed).as("publishes outstanding at the kill failed").isPositive();
            Throwable cause = futures.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst()
                    .map(f -> catchCause(f)).orElseThrow();
            assertThat(cause).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("routing key 'celsend.kill'").hasMessageContaining("the connection was lost");
            assertThat(futures.stream().allMatch(CompletableFuture::isDone)).isTrue();
        }
    }

    @Test
    void aStalledServerBlocksTheWindowThenFailsEveryFuture() throws Exception {
        try (PrivateRedis redis = new PrivateRedis("--enable-debug-command", "yes");
                Connection conn = Connection.open(redis.url("?socket_timeout=1"));
                RedisConnection admin = RedisConnection.open(
                        new org.kombu4j.redis.internal.RedisEndpoint("127.0.0.1", redis.port(), null, null, 0,
                                java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(10), null),
                        false, null)) {
            Producer p = conn.producer();
            conn.channel().declareQueue(Queue.of("celsend.stall"), false);
            p.publishTracked(0, PublishOptions.routingKey("celsend.stall")).get(5, TimeUnit.SECONDS);
            admin.send(List.of("DEBUG", "SLEEP", "4"), r -> { });
            admin.flush();
            Thread.sleep(200);
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            long t0 = System.nanoTime();
            OperationalException full = null;
            try {
                for (int i = 0; i < TrackedPublishes.WINDOW + 1; i++) {
                    futures.add(p.publishTracked(i, PublishOptions.routingKey("celsend.stall")));
                }
            } catch (OperationalException e) {
                full = e;
            }
            long blockedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(full).as("no room in the window within socket_timeout").isNotNull();
            assertThat(full.getMessage()).contains("1024 tracked publishes").contains("socket_timeout");
            // socket_timeout, then the Connection drops the broken transport (its close waits up to socket_timeout
            // for what is outstanding, and its channels' last commands meet the dead connection).
            assertThat(blockedMs).as("the caller blocked for about socket_timeout").isBetween(700L, 8_000L);
            assertThat(futures).hasSize(TrackedPublishes.WINDOW);
            CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(new CompletableFuture[0]));
            assertThatThrownBy(() -> all.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(OperationalException.class).hasMessageContaining("the connection was lost");
            assertThat(futures.stream().allMatch(CompletableFuture::isCompletedExceptionally)).isTrue();
        }
    }

    private static Throwable catchCause(CompletableFuture<Void> f) {
        try {
            f.join();
            throw new AssertionError("not failed");
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    private static List<Integer> drain(TransportChannel ch, String q) {
        List<Integer> got = new ArrayList<>();
        TransportMessage m;
        while ((m = ch.get(q, true)) != null) {
            got.add(Integer.parseInt(new String(m.content().body(), StandardCharsets.UTF_8)));
        }
        return got;
    }
}
