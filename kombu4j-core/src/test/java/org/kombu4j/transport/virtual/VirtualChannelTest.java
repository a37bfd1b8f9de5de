package org.kombu4j.transport.virtual;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Queue;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportMessage;

/**
 * {@link VirtualChannel} over a storage that checks it is never called holding a lock (as a real
 * broker's storage would be a network call), and that concurrent deliveries, cancels and closes
 * neither lose nor double a message nor pass the prefetch limit.
 */
class VirtualChannelTest {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Storage shared by the channels of one test, as a broker's; records every call made holding a monitor. */
    private static final class Broker {
        final Map<String, Deque<StoredMessage>> queues = new ConcurrentHashMap<>();
        final List<String> lockedCalls = new CopyOnWriteArrayList<>();

        void checkNoLock(String call) {
            MonitorInfo[] held = THREADS.getThreadInfo(new long[] {Thread.currentThread().getId()}, true, false)[0]
                    .getLockedMonitors();
            if (held.length > 0) {
                lockedCalls.add(call + " holding " + held[0].getClassName());
            }
        }

        int size(String queue) {
            Deque<StoredMessage> q = queues.get(queue);
            synchronized (q) {
                return q.size();
            }
        }

        List<String> bodies(String queue) {
            Deque<StoredMessage> q = queues.get(queue);
            synchronized (q) {
                List<String> out = new ArrayList<>();
                for (StoredMessage m : q) {
                    out.add(new String(m.content().body(), StandardCharsets.UTF_8));
                }
                return out;
            }
        }
    }

    private static final class StorageChannel extends VirtualChannel {
        private final Broker broker;

        StorageChannel(Broker broker) {
            this.broker = broker;
        }

        @Override
        protected @Nullable ExchangeType exchangeType(String exchange) {
            return null;
        }

        @Override
        protected void storeExchange(Exchange exchange) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void removeExchange(String exchange) {
        }

        @Override
        protected Collection<ExchangeRouter.Row> bindings(String exchange) {
            return List.of();
        }

        @Override
        protected void storeBinding(String exchange, ExchangeRouter.Row row) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void removeBinding(String exchange, ExchangeRouter.Row row) {
        }

        @Override
        protected QueueInfo storeQueue(Queue queue, boolean passive) {
            broker.checkNoLock("storeQueue");
            broker.queues.computeIfAbsent(queue.name(), n -> new ArrayDeque<>());
            return new QueueInfo(queue.name(), broker.size(queue.name()), -1);
        }

        @Override
        protected boolean hasQueue(String queue) {
            broker.checkNoLock("hasQueue");
            return broker.queues.containsKey(queue);
        }

        @Override
        protected void removeQueue(String queue) {
            broker.queues.remove(queue);
        }

        @Override
        protected void put(String queue, StoredMessage message) {
            broker.checkNoLock("put");
            Deque<StoredMessage> q = broker.queues.get(queue);
            synchronized (q) {
                q.addLast(message);
            }
        }

        @Override
        protected void putFront(String queue, StoredMessage message) {
            broker.checkNoLock("putFront");
            Deque<StoredMessage> q = broker.queues.get(queue);
            synchronized (q) {
                q.addFirst(message);
            }
        }

        @Override
        protected @Nullable StoredMessage poll(String queue) {
            broker.checkNoLock("poll");
            Deque<StoredMessage> q = broker.queues.get(queue);
            synchronized (q) {
                return q.pollFirst();
            }
        }

        @Override
        protected long purgeQueue(String queue) {
            broker.checkNoLock("purgeQueue");
            Deque<StoredMessage> q = broker.queues.get(queue);
            synchronized (q) {
                int n = q.size();
                q.clear();
                return n;
            }
        }
    }

    private static void publish(VirtualChannel ch, String queue, int from, int to) {
        for (int i = from; i < to; i++) {
            ch.publish(new OutgoingMessage("", queue, new RawMessage(("m" + i).getBytes(StandardCharsets.UTF_8), "text/plain",
                    "utf-8", Map.of(), Map.of()), false));
        }
    }

    /** Runs {@code action} while another thread delivers {@code batch} at a time on {@code ch}. */
    private static void whileDelivering(VirtualChannel ch, int batch, Runnable action) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        Thread deliverer = new Thread(() -> {
            started.countDown();
            while (!stop.get() && ch.isOpen()) {
                ch.deliverAvailable(batch);
            }
        });
        deliverer.start();
        started.await();
        if (ThreadLocalRandom.current().nextBoolean()) {
            Thread.onSpinWait();
        }
        action.run();
        stop.set(true);
        deliverer.join(10_000);
    }

    private static String body(TransportMessage m) {
        return new String(m.content().body(), StandardCharsets.UTF_8);
    }

    @Test
    void noStorageCallHoldsALock() {
        Broker broker = new Broker();
        StorageChannel ch = new StorageChannel(broker);
        ch.declareQueue(Queue.of("q"), false);
        publish(ch, "q", 0, 6);
        List<TransportMessage> got = new ArrayList<>();
        ch.qos(2);
        ch.consume("q", null, false, got::add);
        ch.consume("q", null, true, got::add);
        assertThat(ch.deliverAvailable(10)).isEqualTo(6);
        ch.reject(got.get(0).deliveryTag(), true);
        ch.ack(got.get(2).deliveryTag());
        ch.deliverAvailable(10);
        ch.recover(true);
        assertThat(ch.get("q", false)).isNotNull();
        ch.purge("q");
        publish(ch, "q", 6, 8);
        ch.deliverAvailable(1);
        ch.close();
        assertThat(broker.lockedCalls).isEmpty();
    }

    @Test
    void closeDuringDeliveriesNeitherLosesNorDoublesAMessage() throws Exception {
        Broker broker = new Broker();
        for (int round = 0; round < 100; round++) {
            String queue = "q" + round;
            StorageChannel publisher = new StorageChannel(broker);
            publisher.declareQueue(Queue.of(queue), false);
            publish(publisher, queue, 0, 50);
            StorageChannel ch = new StorageChannel(broker);
            ch.qos(round % 3 == 0 ? 0 : 7);
            ch.consume(queue, null, false, m -> { });
            ch.consume(queue, null, false, m -> { });
            whileDelivering(ch, 3, ch::close);
            List<String> bodies = broker.bodies(queue);
            assertThat(bodies).as("round %d", round).hasSize(50);
            assertThat(new HashSet<>(bodies)).hasSize(50);
        }
        assertThat(broker.lockedCalls).isEmpty();
    }

    @Test
    void cancelDuringDeliveriesNeitherLosesNorDoublesAMessage() throws Exception {
        Broker broker = new Broker();
        for (int round = 0; round < 100; round++) {
            String queue = "q" + round;
            StorageChannel ch = new StorageChannel(broker);
            ch.declareQueue(Queue.of(queue), false);
            publish(ch, queue, 0, 50);
            List<TransportMessage> got = new CopyOnWriteArrayList<>();
            String first = ch.consume(queue, null, false, got::add);
            String second = ch.consume(queue, null, false, got::add);
            whileDelivering(ch, 2, () -> {
                ch.cancel(first);
                ch.cancel(second);
            });
            Set<String> seen = new HashSet<>(broker.bodies(queue));
            for (TransportMessage m : got) {
                assertThat(seen.add(body(m))).as("round %d: %s delivered and still queued, or delivered twice", round,
                        body(m)).isTrue();
            }
            assertThat(seen).as("round %d", round).hasSize(50);
            // Delivered messages are unacked on the channel: a close puts every one back.
            ch.close();
            assertThat(broker.size(queue)).isEqualTo(50);
        }
        assertThat(broker.lockedCalls).isEmpty();
    }

    @Test
    void concurrentDeliveriesKeepPrefetchExact() throws Exception {
        Broker broker = new Broker();
        for (int round = 0; round < 50; round++) {
            String queue = "q" + round;
            StorageChannel ch = new StorageChannel(broker);
            ch.declareQueue(Queue.of(queue), false);
            publish(ch, queue, 0, 40);
            ch.qos(5);
            List<TransportMessage> got = new CopyOnWriteArrayList<>();
            ch.consume(queue, null, false, got::add);
            ch.consume(queue, null, false, got::add);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 20; i++) {
                        ch.deliverAvailable(4);
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join(10_000);
            }
            assertThat(got).as("round %d", round).hasSize(5);
            assertThat(broker.size(queue)).isEqualTo(35);
            ch.ack(got.get(0).deliveryTag());
            assertThat(ch.deliverAvailable(10)).isEqualTo(1);
            ch.close();
        }
    }
}
