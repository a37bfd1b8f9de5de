package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The worker's lifecycle and policies on {@code memory://}; {@code WorkerContract} runs the rest on every transport. */
class WorkerTest {
    private final String url = "memory://worker" + UUID.randomUUID().toString().substring(0, 8);
    private final Queue queue = Queue.of("work");

    private void publish(Connection c, Object... bodies) {
        for (Object b : bodies) {
            c.producer().publish(b, PublishOptions.builder().routingKey(queue.name()).declare(queue).build());
        }
    }

    @Test
    void builderRefusesWhatCannotWork() {
        try (Connection c = Connection.open(url)) {
            assertThatThrownBy(() -> Worker.builder(c).onMessage((b, m) -> { }).build())
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("at least one queue");
            assertThatThrownBy(() -> Worker.builder(c).queues(queue).build())
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("handler");
            assertThatThrownBy(() -> Worker.builder(c).prefetch(0)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("prefetch must be >= 1");
            assertThatThrownBy(() -> Worker.builder(c).concurrency(0)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("concurrency must be >= 1");
            assertThatThrownBy(() -> Worker.builder(c).accept("pickle")).isInstanceOf(KombuException.class);
            Worker w = Worker.builder(c).queues(queue).concurrency(3).onMessage((b, m) -> { }).build();
            assertThat(w.prefetch()).isEqualTo(12);
            assertThat(Worker.builder(c).queues(queue).concurrency(3).prefetch(1).onMessage((b, m) -> { }).build().prefetch())
                    .isEqualTo(1);
        }
    }

    @Test
    void virtualThreadsWhereTheJvmHasThem() throws Exception {
        try (Connection c = Connection.open(url)) {
            publish(c, 1);
            AtomicReference<String> thread = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            Worker w = Worker.builder(c).queues(queue).concurrency(1).name("vt").onMessage((b, m) -> {
                thread.set(Thread.currentThread().toString());
                m.ack();
                done.countDown();
            }).build();
            boolean expected = Runtime.version().feature() >= 21;
            assertThat(w.usesVirtualThreads()).isEqualTo(expected);
            w.start();
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(w.stop(Duration.ofSeconds(5))).isTrue();
            assertThat(thread.get()).contains("vt-");
            if (expected) {
                assertThat(thread.get()).startsWith("VirtualThread");
            }
            assertThat(Worker.builder(c).queues(queue).virtualThreads(false).onMessage((b, m) -> { }).build()
                    .usesVirtualThreads()).isFalse();
        }
    }

    @Test
    void stopPolicyEndsRunWithTheFailureAndTheMessageGoesBack() {
        try (Connection c = Connection.open(url); Connection other = Connection.open(url)) {
            publish(other, "job1");
            RuntimeException boom = new IllegalArgumentException("bad input");
            Worker w = Worker.builder(c).queues(queue).concurrency(2).onHandlerFailure(HandlerFailure.STOP)
                    .gracePeriod(Duration.ofSeconds(5)).onMessage((b, m) -> {
                        throw boom;
                    }).build();
            assertThatThrownBy(w::run).isInstanceOf(HandlerFailedException.class).hasCauseReference(boom);
            assertThat(w.isTerminated()).isTrue();
            assertThat(w.failure()).containsInstanceOf(HandlerFailedException.class);
            Message back = other.simpleQueue(queue.name()).get(Duration.ofSeconds(5));
            assertThat(back.bodyAsString()).isEqualTo("job1");
            assertThat(back.isRedelivered()).isTrue();
        }
    }

    @Test
    void lifecycleCallsAreValidAtAnyTime() throws Exception {
        try (Connection c = Connection.open(url)) {
            Worker never = Worker.builder(c).queues(queue).onMessage((b, m) -> m.ack()).build();
            never.close();
            never.close();
            assertThat(never.isTerminated()).isTrue();
            assertThat(never.awaitTermination(Duration.ZERO)).isTrue();
            assertThatThrownBy(never::start).isInstanceOf(IllegalStateException.class);

            AtomicReference<Worker> self = new AtomicReference<>();
            List<Boolean> stopFromHandler = new CopyOnWriteArrayList<>();
            Worker w = Worker.builder(c).queues(queue).concurrency(2).onMessage((b, m) -> {
                m.ack();
                stopFromHandler.add(self.get().stop(Duration.ofSeconds(5))); // only asks: it cannot wait for itself
            }).build();
            self.set(w);
            w.start();
            assertThatThrownBy(w::start).isInstanceOf(IllegalStateException.class);
            assertThat(w.isRunning()).isTrue();
            assertThat(w.awaitTermination(Duration.ofMillis(200))).isFalse();
            publish(c, "stop please");
            assertThat(w.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertThat(stopFromHandler).containsExactly(false);
            assertThat(w.isRunning()).isFalse();
            w.close();
            assertThat(w.stop(Duration.ZERO)).isTrue();
        }
    }

    @Test
    void warnsOnceWhenTheWholePrefetchIsHeldTooLong() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (Connection c = Connection.open(url)) {
            publish(c, 1, 2, 3);
            List<Message> kept = new CopyOnWriteArrayList<>();
            Worker w = Worker.builder(c).queues(queue).concurrency(2).prefetch(2).prefetchWarning(Duration.ofMillis(300))
                    .onMessage((b, m) -> kept.add(m)).build(); // never settles: the whole prefetch stays held
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                w.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!captured.toString(StandardCharsets.UTF_8).contains("has held its whole prefetch")
                        && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(700); // more than twice the threshold: still one warning for the episode
            } finally {
                System.setErr(err);
            }
            String log = captured.toString(StandardCharsets.UTF_8);
            assertThat(log.split("has held its whole prefetch", -1)).as(log).hasSize(2);
            assertThat(kept).hasSize(2);
            assertThat(w.held()).isEqualTo(2);
            kept.forEach(Message::ack);
            assertThat(w.stop(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void theShutdownHookFinishesTheHandlerInFlight() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), WorkerHookChild.class.getName())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child exited").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).as(out).contains("handler started", "exiting", "handler finished", "acked");
        assertThat(out.indexOf("handler finished")).as(out).isGreaterThan(out.indexOf("exiting"));
    }
}
