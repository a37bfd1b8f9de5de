package org.kombu4j.celery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.testkit.brokers.LocalRedis;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/** {@link CeleryClient#sendAsync}: completes once the broker has the task; fails, never hangs, when it cannot. */
class CeleryClientAsyncTest {

    @Test
    void manySendAsyncArriveExactlyOnceInOrder() {
        LocalRedis.require();
        String queue = "celsend.async." + UUID.randomUUID();
        int n = 5_000;
        try (Connection conn = Connection.open(Brokers.REDIS); CeleryClient celery = new CeleryClient(conn, null)) {
            TaskOptions onQueue = TaskOptions.builder().queue(queue).build();
            List<CompletableFuture<AsyncResult>> futures = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                futures.add(celery.sendAsync("examples.add", List.of(i, 1), Map.of(), onQueue));
            }
            List<String> ids = new ArrayList<>(n);
            for (CompletableFuture<AsyncResult> f : futures) {
                ids.add(f.orTimeout(30, TimeUnit.SECONDS).join().id());
            }
            TransportChannel ch = conn.channel();
            List<String> got = new ArrayList<>(n);
            TransportMessage m;
            while ((m = ch.get(queue, true)) != null) {
                got.add((String) m.content().headers().get("id"));
            }
            assertThat(got).as("every task once, in the order sent").containsExactlyElementsOf(ids);
        } finally {
            Brokers.cleanRedis(queue);
        }
    }

    /** Python Celery's worker runs what sendAsync sent, on Redis and on RabbitMQ (publisher confirms). */
    @ParameterizedTest(name = "{0} broker")
    @ValueSource(strings = {"redis", "amqp"})
    void pythonWorkerRunsTasksSentAsync(String brokerName) throws Exception {
        String broker = Brokers.url(brokerName);
        String backend = Brokers.backend("redis");
        String queue = "celery.it." + UUID.randomUUID();
        try (PythonCelery.Worker worker = new PythonCelery.Worker(broker, backend, queue, 2);
                Connection conn = Connection.open(broker);
                CeleryClient celery = new CeleryClient(conn, ResultBackends.open(backend, broker))) {
            TaskOptions onQueue = TaskOptions.builder().queue(queue).build();
            List<CompletableFuture<AsyncResult>> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                sent.add(celery.sendAsync("examples.add", List.of(i, 100), Map.of(), onQueue));
            }
            sent.add(celery.sendAsync("examples.add", 1, 2));
            for (int i = 0; i < 50; i++) {
                assertThat(sent.get(i).get(30, TimeUnit.SECONDS).get(Duration.ofSeconds(30))).isEqualTo(i + 100);
            }
            // The varargs overload sends to the default queue 'celery', which this worker does not consume.
            assertThat(sent.get(50).get(30, TimeUnit.SECONDS).id()).isNotBlank();
        } finally {
            Brokers.clean(brokerName, queue);
            if (brokerName.equals("redis")) {
                Brokers.cleanRedis("celery");
            } else {
                // Only the default queue the varargs send went to: "celery*" would take the shared
                // celery_delayed_* levels (and whatever they hold) with it.
                try (Connection c = Connection.open(broker)) {
                    c.channel().deleteQueue("celery");
                }
            }
        }
    }

    @Test
    void aBrokerKilledMidStreamFailsTheOutstandingSends() throws Exception {
        try (PrivateRedis redis = new PrivateRedis();
                Connection conn = Connection.open(redis.url("?socket_timeout=5"));
                CeleryClient celery = new CeleryClient(conn, null)) {
            TaskOptions onQueue = TaskOptions.builder().queue("celsend.kill").build();
            List<CompletableFuture<AsyncResult>> futures = new ArrayList<>();
            RuntimeException thrown = null;
            long killedAt = 0;
            for (int i = 0; i < 5_000_000 && thrown == null; i++) {
                try {
                    futures.add(celery.sendAsync("examples.add", List.of(i, 1), Map.of(), onQueue));
                } catch (RuntimeException e) {
                    thrown = e;
                }
                if (i == 3_000) {
                    // Killed from another thread while this one keeps sending.
                    new Thread(() -> {
                        try {
                            redis.kill();
                        } catch (InterruptedException ignored) {
                            Thread.currentThread().interrupt();
                        }
                    }).start();
                    killedAt = System.nanoTime();
                }
            }
            assertThat(thrown).as("a send after the loss throws").isInstanceOf(OperationalException.class);
            CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(new CompletableFuture[0]));
            assertThatThrownBy(() -> all.get(4, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedAt)).isLessThan(10);
            assertThat(futures).allMatch(CompletableFuture::isDone);
            Throwable cause = futures.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst()
                    .map(f -> {
                        try {
                            f.join();
                            return null;
                        } catch (CompletionException e) {
                            return e.getCause();
                        }
                    }).orElseThrow();
            assertThat(cause).isInstanceOf(OperationalException.class).hasMessageContaining("the connection was lost");
        }
    }
}
