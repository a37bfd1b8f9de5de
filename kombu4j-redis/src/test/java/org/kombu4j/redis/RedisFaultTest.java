package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.testkit.brokers.PrivateRedis;

/** Faults on a private redis-server: a restart mid-consume, and a consumer killed with SIGKILL. */
class RedisFaultTest {

    @Test
    void consumerLoopResumesAfterTheServerIsKilledAndRestarted() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("");
            Queue q = Queue.of("fault.q");
            List<Object> got = new CopyOnWriteArrayList<>();
            Connection conn = Connection.open(url);
            ConsumerLoop loop = ConsumerLoop.builder(conn, c -> List.of(c.consumer(q).onMessage((body, m) -> {
                got.add(body);
                m.ack();
            }).build())).reconnect(RetryPolicy.builder().maxRetries(-1).intervalStart(Duration.ofMillis(50))
                    .intervalStep(Duration.ofMillis(50)).intervalMax(Duration.ofMillis(200)).build())
                    .drainTimeout(Duration.ofMillis(200)).build();
            Thread t = new Thread(loop::run, "consumer-loop");
            t.start();
            try (Connection p = Connection.open(url)) {
                p.producer().publish("before", PublishHelper.to(q));
                waitFor(() -> got.size() == 1, 5);
                assertThat(got).containsExactly("before");
            }
            redis.kill();
            Thread.sleep(300);
            redis.start();
            long restarted = System.nanoTime();
            // The server lost everything (no persistence): publish once the producer reconnects.
            try (Connection p = Connection.open(url)) {
                p.producer().publish("after", PublishHelper.to(q));
            }
            waitFor(() -> got.size() == 2, 5);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
            assertThat(got).containsExactly("before", "after");
            assertThat(took).as("resumed within 2 s of the restart").isLessThan(2000);
            assertThat(loop.connects()).isGreaterThanOrEqualTo(2);
            loop.stop();
            t.join(5000);
            conn.close();
        }
    }

    @Test
    void messagesHeldByAKilledJvmAreRedeliveredAfterTheVisibilityTimeout() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("?visibility_timeout=1&unacked_restore_interval=0.2");
            Queue q = Queue.of("fault.held");
            try (Connection p = Connection.open(url)) {
                for (int i = 0; i < 5; i++) {
                    p.producer().publish(i, PublishHelper.to(q));
                }
            }
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    HoldingChild.class.getName(), url, q.name(), "5").redirectErrorStream(true).start();
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String line;
                List<String> out = new ArrayList<>();
                while ((line = r.readLine()) != null && !line.startsWith("HELD")) {
                    out.add(line);
                }
                assertThat(line).as("child output: %s", out).isEqualTo("HELD 5");
            } finally {
                child.destroyForcibly(); // SIGKILL: no close, no restore
                child.waitFor(10, TimeUnit.SECONDS);
            }
            List<Object> got = new CopyOnWriteArrayList<>();
            try (Connection c = Connection.open(url)) {
                c.consumer(q).onMessage((body, m) -> {
                    assertThat(m.isRedelivered()).isTrue();
                    got.add(body);
                    m.ack();
                }).consume();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (got.size() < 5 && System.nanoTime() < deadline) {
                    c.drainEvents(Duration.ofMillis(100));
                }
                c.drainEvents(Duration.ofMillis(300));
            }
            assertThat(got).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier cond, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** Publish options to the default exchange, declaring the queue. */
    static final class PublishHelper {
        static org.kombu4j.PublishOptions to(Queue q) {
            return org.kombu4j.PublishOptions.builder().routingKey(q.name()).declare(q).build();
        }
    }
}
