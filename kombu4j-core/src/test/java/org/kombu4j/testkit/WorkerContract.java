package org.kombu4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Exchange;
import org.kombu4j.Message;
import org.kombu4j.PublishBatch;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.Worker;
import org.kombu4j.transport.TransportChannel;

/**
 * What a {@link Worker} must do on every transport, written once like {@link TransportContract}: a transport module
 * runs it by extending this class and naming a URL. Nothing here asserts timing; the bench's {@code worker} scenario
 * measures it.
 */
public abstract class WorkerContract {
    /** How long a test waits for what it expects before failing. */
    protected static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final int MESSAGES = 10_000;
    private static final int CONCURRENCY = 8;

    private final List<String> queues = new ArrayList<>();
    private final List<String> exchanges = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private String prefix;

    /** The URL of the broker under test. */
    protected abstract String url();

    /** Ready messages in {@code queue} as the broker counts them (taken ones excluded). */
    protected long readyCount(Connection c, Queue queue) {
        return c.channel().declareQueue(queue, true).messageCount();
    }

    @BeforeEach
    void namePrefix(TestInfo info) {
        prefix = "k4jwc." + info.getTestMethod().map(m -> m.getName()).orElse("t") + "."
                + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        try (Connection c = Connection.open(url())) {
            TransportChannel ch = c.channel();
            queues.forEach(ch::deleteQueue);
            exchanges.forEach(ch::deleteExchange);
        }
    }

    private Connection connect() {
        Connection c = Connection.open(url());
        closeables.add(c);
        return c;
    }

    private Queue queue(String suffix) {
        Queue q = Queue.of(prefix + suffix);
        queues.add(q.name());
        return q;
    }

    /** Publishes ids {@code 0..n-1} as JSON numbers, all confirmed. */
    private void publish(Connection c, Queue q, int n) {
        c.channel().declareQueue(q, false);
        PublishBatch batch = c.producer().batch(1000);
        PublishOptions to = PublishOptions.routingKey(q.name());
        for (int i = 0; i < n; i++) {
            batch.publish(i, to);
        }
        assertThat(batch.await(PATIENCE).allConfirmed()).as("all %d published", n).isTrue();
    }

    private Worker.Builder worker(Connection c, Queue q) {
        return Worker.builder(c).queues(q).accept("json").concurrency(CONCURRENCY).name("wc-" + q.name());
    }

    private Worker started(Worker w) {
        closeables.add(() -> w.stop(Duration.ofSeconds(5)));
        return w.start();
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime() < deadline).as("waited %s for %s", PATIENCE, what).isTrue();
            Thread.sleep(5);
        }
    }

    /** Counts handlings per id, the handlers running at once, and acks begun (before the ack is sent). */
    private static final class Tally {
        final Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
        final AtomicInteger active = new AtomicInteger();
        final AtomicInteger maxActive = new AtomicInteger();
        final AtomicLong acksBegun = new AtomicLong();

        void handle(Object body, Message m) throws InterruptedException {
            maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
            try {
                Thread.sleep(1);
                handled.computeIfAbsent(((Number) body).intValue(), k -> new AtomicInteger()).incrementAndGet();
                acksBegun.incrementAndGet();
                m.ack();
            } finally {
                active.decrementAndGet();
            }
        }

        List<Integer> duplicates() {
            return handled.entrySet().stream().filter(e -> e.getValue().get() != 1).map(Map.Entry::getKey).toList();
        }
    }

    /** A tally's handler: {@link Tally#handle} with its checked exception thrown on. */
    private static org.kombu4j.MessageHandler handler(Tally t) {
        return (body, m) -> {
            try {
                t.handle(body, m);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        };
    }

    /**
     * Samples, until stopped, the worker's unsettled messages and the broker's view: published - ready - acks begun
     * is at least what the broker counts unacknowledged at the time of the ready count (acks are counted before they
     * are sent, and read after the ready count), so it may only err low, never above the true figure.
     */
    private final class Sampler implements AutoCloseable {
        final AtomicInteger maxHeld = new AtomicInteger();
        final AtomicLong maxUnacked = new AtomicLong(Long.MIN_VALUE);
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread thread;

        Sampler(Worker w, Queue q, long published, Tally t) {
            Connection probe = connect();
            thread = new Thread(() -> {
                while (!stop.get()) {
                    maxHeld.accumulateAndGet(w.held(), Math::max);
                    long ready = readyCount(probe, q);
                    if (ready >= 0) {
                        maxUnacked.accumulateAndGet(published - ready - t.acksBegun.get(), Math::max);
                    }
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "wc-sampler");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }

    @Test
    void tenThousandMessagesAreEachHandledOnceAndUnackedNeverExceedsThePrefetch() throws Exception {
        Connection c = connect();
        Queue q = queue("q");
        publish(connect(), q, MESSAGES);
        Tally t = new Tally();
        Worker w = worker(c, q).onMessage(handler(t)).build();
        assertThat(w.prefetch()).as("default prefetch").isEqualTo(Worker.PREFETCH_MULTIPLIER * CONCURRENCY);
        Sampler s;
        try (Sampler sampler = new Sampler(w, q, MESSAGES, t)) {
            s = sampler;
            started(w);
            await("every message handled", () -> t.handled.size() == MESSAGES);
        }
        assertThat(w.stop(Duration.ofSeconds(10))).as("stopped").isTrue();
        assertThat(t.duplicates()).as("handled more than once").isEmpty();
        assertThat(t.maxActive.get()).as("handlers at once").isBetween(2, CONCURRENCY);
        assertThat(s.maxHeld.get()).as("unsettled in the worker").isBetween(1, w.prefetch());
        assertThat(s.maxUnacked.get()).as("unacknowledged per the broker's ready count").isLessThanOrEqualTo(w.prefetch());
        assertThat(readyCount(c, q)).as("left in the queue").isIn(0L, -1L);
        assertThat(w.failure()).isEmpty();
    }

    @Test
    void aStopInTheMiddleLosesAndDuplicatesNothing() throws Exception {
        Queue q = queue("q");
        publish(connect(), q, MESSAGES);
        Tally t = new Tally();
        Worker first = started(worker(connect(), q).onMessage(handler(t)).build());
        await("a tenth handled", () -> t.handled.size() >= MESSAGES / 10);
        assertThat(first.stop(Duration.ofSeconds(10))).as("first worker stopped").isTrue();
        int byFirst = t.handled.size();
        assertThat(byFirst).as("handled before the stop").isLessThan(MESSAGES);
        assertThat(first.held()).as("held after the stop").isZero();
        assertThat(first.active()).as("handlers after the stop").isZero();
        Connection probe = connect();
        long ready = readyCount(probe, q);
        if (ready >= 0) {
            // What the first took and did not handle is back in the queue, not with a stopped worker.
            await("the rest ready again", () -> readyCount(probe, q) == MESSAGES - t.handled.size());
        }
        assertThat(t.handled.size()).as("nothing handled after the stop").isEqualTo(byFirst);
        Worker second = started(worker(connect(), q).onMessage(handler(t)).build());
        await("every message handled", () -> t.handled.size() == MESSAGES);
        assertThat(second.stop(Duration.ofSeconds(10))).isTrue();
        assertThat(t.duplicates()).as("handled more than once").isEmpty();
        assertThat(t.handled).hasSize(MESSAGES);
    }

    @Test
    void aHandlerStillRunningAfterTheGraceIsInterruptedAndItsMessageGoesBack() throws Exception {
        Queue q = queue("q");
        publish(connect(), q, 1);
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        Worker w = started(worker(connect(), q).onMessage((body, m) -> {
            started.countDown();
            try {
                Thread.sleep(PATIENCE.toMillis());
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
            m.ack(); // too late: the worker returned it already, which is no handler failure
        }).build());
        assertThat(started.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(w.stop(Duration.ofMillis(200))).isTrue();
        assertThat(interrupted).isTrue();
        List<Message> again = new CopyOnWriteArrayList<>();
        Worker second = started(worker(connect(), q).onMessage((body, m) -> {
            again.add(m);
            m.ack();
        }).build());
        await("the message again", () -> !again.isEmpty());
        assertThat(again.get(0).isRedelivered()).isTrue();
        assertThat(second.stop(Duration.ofSeconds(10))).isTrue();
        assertThat(again).hasSize(1);
    }

    @Test
    void aFailingHandlerRequeuesByDefaultAndDeadLettersWhereTheQueueHasADeadLetterExchange() throws Exception {
        Connection c = connect();
        Exchange dlx = Exchange.direct(prefix + "dlx");
        exchanges.add(dlx.name());
        Queue dead = Queue.of(prefix + "dead", dlx, "dead");
        queues.add(dead.name());
        Queue plain = queue("plain");
        Queue lettered = Queue.named(prefix + "lettered").deadLetter(dlx.name(), "dead").build();
        queues.add(lettered.name());
        publish(c, plain, 1);
        c.producer().publish(7, PublishOptions.builder().routingKey(lettered.name()).declare(dead, lettered).build());
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        List<Message> settledPlain = new CopyOnWriteArrayList<>();
        Worker w = started(Worker.builder(connect()).queues(plain, lettered).concurrency(2).onMessage((body, m) -> {
            int n = calls.computeIfAbsent(m.deliveryInfo().queue(), k -> new AtomicInteger()).incrementAndGet();
            if (n == 1 || m.deliveryInfo().queue().equals(lettered.name())) {
                throw new IllegalStateException("fails on purpose");
            }
            settledPlain.add(m);
            m.ack();
        }).build());
        await("the plain queue's message requeued and handled", () -> !settledPlain.isEmpty());
        assertThat(settledPlain.get(0).isRedelivered()).isTrue();
        List<Object> deadBodies = new CopyOnWriteArrayList<>();
        Connection dc = connect();
        try (Consumer dl = dc.consumer(dead).onMessage((body, m) -> {
            deadBodies.add(body);
            m.ack();
        }).consume()) {
            await("the dead letter", () -> {
                dc.drainEvents(Duration.ofMillis(50));
                return !deadBodies.isEmpty();
            });
        }
        assertThat(deadBodies).containsExactly(7);
        assertThat(calls.get(lettered.name())).hasValue(1);
        assertThat(w.stop(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void aConsumerWithoutPrefetchHoldsAtMostTheDefault() throws Exception {
        Connection c = connect();
        Queue q = queue("q");
        publish(c, q, Consumer.DEFAULT_PREFETCH + 50);
        List<Message> got = new CopyOnWriteArrayList<>();
        try (Consumer consumer = c.consumer(q).onMessage((body, m) -> got.add(m)).consume()) {
            await("the default prefetch's worth", () -> {
                c.drainEvents(Duration.ofMillis(50));
                return got.size() >= Consumer.DEFAULT_PREFETCH;
            });
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            while (System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(50));
            }
            assertThat(got).as("unacknowledged deliveries").hasSize(Consumer.DEFAULT_PREFETCH);
        }
    }
}
