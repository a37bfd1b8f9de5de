package org.kombu4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kombu4j.Queue;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Closing the application context while handlers run, on real Redis and RabbitMQ (and SQLite, whose channel is
 * settled from handler threads too): handlers in progress finish and are
 * acknowledged, the rest stays in the queue, nothing is lost or handled twice; past {@code kombu4j.shutdown-timeout}
 * the unfinished message goes back to the queue.
 */
class GracefulShutdownTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(
            JacksonAutoConfiguration.class, KombuAutoConfiguration.class));

    record Job(int id) {
    }

    /** Sleeps {@code test.sleep-ms} per job and records what it started and finished. */
    static class SlowListener {
        static final Set<Integer> STARTED = ConcurrentHashMap.newKeySet();
        static final Map<Integer, Integer> FINISHED = new ConcurrentHashMap<>();
        static final AtomicInteger INTERRUPTED = new AtomicInteger();
        static final AtomicInteger ACTIVE = new AtomicInteger();
        static final AtomicInteger MAX_ACTIVE = new AtomicInteger();
        static volatile long sleepMs;

        @KombuListener(queue = "${test.queue}", concurrency = 3)
        void work(Job job) throws InterruptedException {
            STARTED.add(job.id());
            MAX_ACTIVE.accumulateAndGet(ACTIVE.incrementAndGet(), Math::max);
            try {
                Thread.sleep(sleepMs);
            } catch (InterruptedException e) {
                INTERRUPTED.incrementAndGet();
                throw e;
            } finally {
                ACTIVE.decrementAndGet();
            }
            FINISHED.merge(job.id(), 1, Integer::sum);
        }

        static void reset(long sleep) {
            STARTED.clear();
            FINISHED.clear();
            INTERRUPTED.set(0);
            MAX_ACTIVE.set(0);
            sleepMs = sleep;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "amqp", "sqlite"})
    void closingTheContextFinishesHandlersInProgressAndLeavesTheRestInTheQueue(String broker) {
        String url = TestBrokers.url(broker);
        String name = TestBrokers.unique("shutdown");
        Queue queue = Queue.of(name);
        int n = 40;
        SlowListener.reset(200);
        try {
            TestBrokers.publish(url, queue, IntStream.range(0, n).mapToObj(Job::new).toList());
            runner.withBean(SlowListener.class).withPropertyValues("kombu4j.url=" + url, "test.queue=" + name,
                    "kombu4j.shutdown-timeout=20s").run(context -> {
                        assertThat(context).hasNotFailed();
                        await(() -> SlowListener.FINISHED.size() >= 4, Duration.ofSeconds(20));
                        context.close();
                    });
            // Every handler that started finished (none cut short) and was acknowledged once.
            assertThat(SlowListener.INTERRUPTED).hasValue(0);
            assertThat(SlowListener.FINISHED.keySet()).isEqualTo(SlowListener.STARTED);
            assertThat(SlowListener.FINISHED.values()).containsOnly(1);
            assertThat(SlowListener.FINISHED.size()).isLessThan(n);
            assertThat(SlowListener.MAX_ACTIVE).as("handlers at once: the listener's concurrency").hasValue(3);

            List<Integer> left = ids(TestBrokers.takeAll(url, queue, Duration.ofSeconds(2)));
            Set<Integer> all = new HashSet<>(SlowListener.FINISHED.keySet());
            assertThat(left).as("handled messages are not in the queue again").doesNotContainAnyElementsOf(all)
                    .doesNotHaveDuplicates();
            all.addAll(left);
            assertThat(all).as("every message handled or still queued").hasSize(n);
        } finally {
            TestBrokers.delete(url, List.of(name), List.of());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "amqp", "sqlite"})
    void handlersPastTheShutdownTimeoutLeaveTheirMessagesInTheQueue(String broker) {
        String url = TestBrokers.url(broker);
        String name = TestBrokers.unique("timeout");
        Queue queue = Queue.of(name);
        SlowListener.reset(30_000);
        try {
            TestBrokers.publish(url, queue, List.of(new Job(1), new Job(2)));
            long[] closeMillis = new long[1];
            runner.withBean(SlowListener.class).withPropertyValues("kombu4j.url=" + url, "test.queue=" + name,
                    "kombu4j.shutdown-timeout=300ms").run(context -> {
                        await(() -> SlowListener.STARTED.size() == 2, Duration.ofSeconds(20));
                        long t0 = System.nanoTime();
                        context.close();
                        closeMillis[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    });
            assertThat(closeMillis[0]).as("close waits about the shutdown timeout, not the handlers").isLessThan(5_000);
            assertThat(SlowListener.FINISHED).isEmpty();
            assertThat(ids(TestBrokers.takeAll(url, queue, Duration.ofSeconds(2)))).containsExactlyInAnyOrder(1, 2);
        } finally {
            TestBrokers.delete(url, List.of(name), List.of());
        }
    }

    private static List<Integer> ids(List<Object> bodies) {
        List<Integer> out = new ArrayList<>();
        for (Object b : bodies) {
            out.add(((Number) ((Map<?, ?>) b).get("id")).intValue());
        }
        return out;
    }

    private static void await(java.util.function.BooleanSupplier condition, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within %s", max).isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
