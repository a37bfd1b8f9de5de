package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.kombu4j.ClosedException;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * Consumer semantics that must match the other transports, checked in Redis itself: prefetch is an
 * exact bound (counted in the {@code unacked} records, not only in deliveries), a handler that throws
 * loses nothing and its exception ends {@code drainEvents}, and closing the connection from another
 * thread ends a drain in {@link ClosedException}.
 */
class RedisConsumingTest {
    private static final String URL = "redis://127.0.0.1:6379/13";
    private static final String UNACKED_QUEUES = "_kombu4j.unacked.queues";
    private RedisConnection raw;
    private String queue;
    private final List<Connection> open = new ArrayList<>();

    @BeforeEach
    void setUp() {
        TestRedis.require();
        raw = RedisConnection.open(new RedisEndpoint(TestRedis.HOST, TestRedis.PORT, null, null, 13, Duration.ofSeconds(2),
                Duration.ofSeconds(5)), false, null);
        queue = "k4j.consuming." + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void cleanUp() {
        open.forEach(Connection::close); // restores what is unacknowledged into our list
        List<Object> flat = Resp.array(raw.call(List.of("HGETALL", UNACKED_QUEUES)));
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            if (Resp.text(flat.get(i + 1)).equals(queue)) {
                Object tag = flat.get(i);
                raw.call(List.of("HDEL", "unacked", tag));
                raw.call(List.of("ZREM", "unacked_index", tag));
                raw.call(List.of("HDEL", UNACKED_QUEUES, tag));
            }
        }
        raw.call(List.of("DEL", queue));
        raw.call(List.of("SREM", "_kombu4j.queues", queue));
        raw.close();
    }

    private Connection connect() {
        Connection c = Connection.open(URL);
        open.add(c);
        return c;
    }

    private void publish(Connection c, int n) {
        c.channel().declareQueue(Queue.of(queue), false);
        for (int i = 0; i < n; i++) {
            c.producer().publish("m" + i, queue);
        }
    }

    /** Records in Redis's unacked bookkeeping whose source list is our queue. */
    private int unackedInRedis() {
        List<Object> flat = Resp.array(raw.call(List.of("HGETALL", UNACKED_QUEUES)));
        int n = 0;
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            if (Resp.text(flat.get(i + 1)).equals(queue)
                    && Resp.integer(raw.call(List.of("HEXISTS", "unacked", flat.get(i)))) == 1) {
                n++;
            }
        }
        return n;
    }

    private long ready() {
        return Resp.integer(raw.call(List.of("LLEN", queue)));
    }

    /** Drains until no delivery came for a while (deliveries beyond the limit would have come by then). */
    /** Drains for five seconds; a test that expects the drain to throw asserts on it. */
    private static void drainForFiveSeconds(Connection c) {
        long until = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < until) {
            c.drainEvents(Duration.ofMillis(200));
        }
    }

    private static void drainQuietly(Connection c) {
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < 700_000_000L) {
            if (c.drainEvents(Duration.ofMillis(100))) {
                quietSince = System.nanoTime();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 10, 50})
    void prefetchIsAnExactBound(int prefetch) {
        Connection c = connect();
        int total = 3 * prefetch + 7;
        publish(c, total);
        TransportChannel ch = c.channel();
        ch.qos(prefetch);
        List<TransportMessage> got = new CopyOnWriteArrayList<>();
        ch.consume(queue, null, false, got::add); // never acks

        drainQuietly(c);
        assertThat(got).as("delivered with prefetch %d", prefetch).hasSize(prefetch);
        assertThat(unackedInRedis()).as("unacked records with prefetch %d", prefetch).isEqualTo(prefetch);
        assertThat(ready()).isEqualTo(total - prefetch);

        int acks = Math.max(1, prefetch / 3);
        for (int i = 0; i < acks; i++) {
            ch.ack(got.get(i).deliveryTag());
        }
        drainQuietly(c);
        assertThat(got).as("delivered after %d acks", acks).hasSize(prefetch + acks);
        assertThat(unackedInRedis()).isEqualTo(prefetch);
        assertThat(ready()).isEqualTo(total - prefetch - acks);
    }

    /**
     * {@code ackSoon} from a thread that is not draining returns without a round trip and wakes the draining
     * thread, which sends the batch: the records leave Redis while that thread would otherwise sleep for
     * 30 s, and closing restores nothing.
     */
    @Test
    void ackSoonFromAnotherThreadIsSentByTheWokenDrainingThread() throws Exception {
        Connection c = connect();
        publish(c, 5);
        TransportChannel ch = c.channel();
        ch.qos(5);
        List<TransportMessage> got = new CopyOnWriteArrayList<>();
        ch.consume(queue, null, false, got::add);
        drainQuietly(c);
        assertThat(got).hasSize(5);
        assertThat(unackedInRedis()).isEqualTo(5);

        Thread drainer = new Thread(() -> {
            try {
                c.drainEvents(Duration.ofSeconds(30)); // nothing left to deliver: only a wake-up ends the wait early
            } catch (ClosedException e) {
                // The close below ends the drain.
            }
        });
        drainer.start();
        Thread.sleep(300); // the drainer is waiting now
        for (TransportMessage m : got) {
            ch.ackSoon(m.deliveryTag());
        }
        long until = System.nanoTime() + 5_000_000_000L;
        while (unackedInRedis() > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertThat(unackedInRedis()).as("unacked records 5 s after ackSoon (the drain waits 30 s)").isZero();
        c.close(); // ends the drain
        drainer.join(5000);
        assertThat(ready()).as("nothing restored on close").isZero();
    }

    @Test
    void aHandlerThatThrowsEndsTheDrainAfterTheBatchAndLosesNothing() {
        Connection c = connect();
        publish(c, 6);
        TransportChannel ch = c.channel();
        ch.qos(3);
        RuntimeException boom = new IllegalStateException("handler failed");
        List<TransportMessage> got = new CopyOnWriteArrayList<>();
        ch.consume(queue, null, false, m -> {
            got.add(m);
            if (got.size() == 1) {
                throw boom;
            }
        });
        assertThatThrownBy(() -> drainForFiveSeconds(c)).as("the handler's own exception, unchanged").isSameAs(boom);
        drainQuietly(c);
        // The batch was finished: every prefetched message reached the handler and is held, not lost.
        assertThat(got).hasSize(3);
        assertThat(unackedInRedis()).isEqualTo(3);
        assertThat(ready()).isEqualTo(3);
        for (TransportMessage m : got) {
            ch.ack(m.deliveryTag());
        }
        drainQuietly(c);
        assertThat(got).as("consuming goes on after the failure").hasSize(6);
    }

    @Test
    void aHandlerThatCancelsAndThrowsGivesTheRestOfItsBatchBack() {
        Connection c = connect();
        publish(c, 5);
        TransportChannel ch = c.channel();
        ch.qos(5);
        RuntimeException stop = new IllegalStateException("stop");
        List<TransportMessage> got = new CopyOnWriteArrayList<>();
        AtomicReference<String> tag = new AtomicReference<>();
        tag.set(ch.consume(queue, null, false, m -> {
            got.add(m);
            ch.cancel(tag.get());
            throw stop;
        }));
        assertThatThrownBy(() -> drainForFiveSeconds(c)).isSameAs(stop);
        assertThat(got).hasSize(1);
        assertThat(unackedInRedis()).isEqualTo(1);
        assertThat(ready()).as("the rest of the batch is back in the list").isEqualTo(4);
    }

    @Test
    void closingFromAnotherThreadEndsADrainInClosedException() throws Exception {
        Connection c = connect();
        c.channel().declareQueue(Queue.of(queue), false);
        c.channel().consume(queue, null, false, m -> { });
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            c.close();
        }, "closer");
        closer.start();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> {
            while (true) {
                c.drainEvents(Duration.ofSeconds(30));
            }
        }).isInstanceOf(ClosedException.class);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the drain ended").isLessThan(5_000);
        closer.join();
    }

    @Test
    void onAHubAThrowingHandlerNeitherStallsNorLosesMessages() throws Exception {
        Connection c = connect();
        publish(c, 6);
        try (org.kombu4j.hub.Hub hub = new org.kombu4j.hub.Hub()) {
            Thread loop = new Thread(hub::runForever, "hub-loop");
            loop.start();
            c.registerWithEventLoop(hub);
            TransportChannel ch = c.channel();
            ch.qos(3);
            List<TransportMessage> got = new CopyOnWriteArrayList<>();
            ch.consume(queue, null, false, m -> {
                got.add(m);
                if (got.size() == 1) {
                    throw new IllegalStateException("handler failed on a hub (expected in this test)");
                }
            });
            awaitSize(got, 3);
            Thread.sleep(300);
            assertThat(got).as("prefetch holds on a hub too").hasSize(3);
            for (TransportMessage m : got) {
                ch.ack(m.deliveryTag());
            }
            awaitSize(got, 6);
            assertThat(ready()).isZero();
            hub.stop();
            loop.join(5_000);
        }
    }

    private static void awaitSize(List<?> list, int n) throws InterruptedException {
        long until = System.nanoTime() + 5_000_000_000L;
        while (list.size() < n && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertThat(list).hasSize(n);
    }
}
