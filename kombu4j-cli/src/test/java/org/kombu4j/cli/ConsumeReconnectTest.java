package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kombu4j.Connection;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.brokers.PrivateRedis;

/**
 * {@code kombu4j consume} survives the broker (issue 15): a Redis server restarted under it (twice, with
 * its data kept in an append-only file) and a RabbitMQ connection closed by the broker
 * ({@code rabbitmqctl close_connection}) each cost one warning line, and every message published before,
 * during and after is printed at least once. The consumer is a real process ({@link CliProcess}).
 */
class ConsumeReconnectTest {
    private static final ObjectMapper M = new ObjectMapper();
    /** Publishes that wait out a broker restart. */
    private static final RetryPolicy PATIENT = RetryPolicy.builder().maxRetries(-1).intervalStart(Duration.ofMillis(100))
            .intervalStep(Duration.ofMillis(100)).intervalMax(Duration.ofMillis(500)).timeout(Duration.ofSeconds(60)).build();

    @TempDir Path home;
    @TempDir Path logs;
    @TempDir Path redisDir;
    private CliProcess cli;

    @BeforeEach
    void setUp() {
        cli = new CliProcess(home, logs);
    }

    @Test
    void survivesTwoRestartsOfARedisServerAndPrintsEveryMessage() throws Exception {
        // appendfsync always: what the server acknowledged before its SIGKILL is on disk when it comes back.
        try (PrivateRedis redis = new PrivateRedis("--appendonly", "yes", "--appendfsync", "always", "--dir",
                redisDir.toString())) {
            // A short visibility timeout: what the lost connection held unacknowledged comes back within the test.
            String url = redis.url("?visibility_timeout=5&unacked_restore_interval=1");
            Queue q = Queue.of("k4jcli.reconnect." + UUID.randomUUID().toString().substring(0, 8));
            try (Connection conn = Connection.open(url)) {
                Producer producer = Producer.builder(conn).retry(PATIENT).build();
                producer.publish(-1, PublishOptions.builder().routingKey(q.name()).declare(q).build());
                int next = publish(producer, q, 0, 4_000);
                CliProcess.Started consumer = cli.start("--url", url, "consume", "--queue", q.name(), "--json", "--timeout", "15");
                try {
                    long before = 0;
                    for (int restart = 0; restart < 2; restart++) {
                        // Killed mid-stream: some messages printed, some popped, some still in the queue.
                        long lines = before;
                        awaitTrue(() -> consumer.out().lines().count() >= lines + 1_000, consumer, "printed 1,000 more");
                        redis.kill();
                        // Published while the server is down: each waits (retrying) for the restart.
                        int from = next;
                        CompletableFuture<Void> during = CompletableFuture.runAsync(() -> publish(producer, q, from, 100));
                        Thread.sleep(1_000);
                        assertThat(consumer.process().isAlive()).as(consumer.err()).isTrue();
                        redis.start();
                        during.get(60, TimeUnit.SECONDS);
                        before = consumer.out().lines().count();
                        next = publish(producer, q, next + 100, 4_000);
                    }
                    CliRunner.Result r = consumer.await(120);
                    assertThat(r.status()).as(r.err()).isZero();
                    assertThat(printed(consumer)).containsAll(range(-1, next));
                    assertThat(r.errLines()).filteredOn(l -> l.startsWith("kombu4j: warning: connection lost ("))
                            .hasSize(2).allMatch(l -> l.matches(".*\\); reconnecting in \\d+\\.\\d s"));
                    assertThat(r.errLines()).last().asString().startsWith("consumed ");
                } finally {
                    consumer.process().destroyForcibly();
                }
            }
        }
    }

    @Test
    void survivesTheBrokerClosingItsRabbitMqConnection() throws Exception {
        String url = LocalRabbit.url();
        String name = "k4jcli-reconnect-" + UUID.randomUUID();
        Queue q = Queue.of("k4jcli.reconnect." + UUID.randomUUID().toString().substring(0, 8));
        try (Connection conn = Connection.open(url)) {
            Producer producer = Producer.builder(conn).retry(PATIENT).build();
            try {
                producer.publish(-1, PublishOptions.builder().routingKey(q.name()).declare(q).build());
                int next = publish(producer, q, 0, 200);
                CliProcess.Started consumer = cli.start("--url", url + "?connection_name=" + name, "consume", "--queue", q.name(),
                        "--json", "--timeout", "10");
                try {
                    for (int close = 0; close < 2; close++) {
                        Set<Integer> expected = range(-1, next);
                        awaitTrue(() -> printed(consumer).containsAll(expected), consumer, "printed all " + expected.size());
                        // Only our own connection, found by the name the consumer gave it.
                        LocalRabbit.closeConnection(name);
                        next = publish(producer, q, next, 200);
                    }
                    CliRunner.Result r = consumer.await(120);
                    assertThat(r.status()).as(r.err()).isZero();
                    assertThat(printed(consumer)).containsAll(range(-1, next));
                    assertThat(r.errLines()).filteredOn(l -> l.startsWith("kombu4j: warning: connection lost ("))
                            .hasSize(2).allMatch(l -> l.contains("CONNECTION_FORCED"));
                    // The password is masked in what the warnings quote.
                    assertThat(r.err()).doesNotContain("guest:guest");
                } finally {
                    consumer.process().destroyForcibly();
                }
            } finally {
                conn.defaultChannel().deleteQueue(q.name());
            }
        }
    }

    /** Without --reconnect-timeout an outage may last --timeout: a broker gone for good is one error line, not a hang. */
    @Test
    void aBrokerGoneForGoodEndsTheCommandAfterTimeout() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("");
            Queue q = Queue.of("k4jcli.gone");
            try (Connection conn = Connection.open(url)) {
                conn.producer().publish(1, PublishOptions.builder().routingKey(q.name()).declare(q).build());
            }
            CliProcess.Started consumer = cli.start("--url", url, "consume", "--queue", q.name(), "--timeout", "2");
            awaitTrue(() -> consumer.out().lines().count() >= 1, consumer, "printed the message");
            redis.kill();
            long killed = System.nanoTime();
            CliRunner.Result r = consumer.await(30);
            assertThat(r.status()).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(20));
            assertThat(r.errLines()).hasSize(2);
            assertThat(r.errLines().get(0)).startsWith("kombu4j: warning: connection lost (");
            assertThat(r.errLines().get(1)).startsWith("kombu4j: error: connection lost and not re-established within 2 s "
                    + "(--timeout; --reconnect-timeout sets another bound): ").endsWith("received 1 message from queue 'k4jcli.gone'");
        }
    }

    @Test
    void givesUpAfterTheReconnectTimeout() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("");
            Queue q = Queue.of("k4jcli.giveup");
            try (Connection conn = Connection.open(url)) {
                conn.producer().publish(1, PublishOptions.builder().routingKey(q.name()).declare(q).build());
            }
            CliProcess.Started consumer = cli.start("--url", url, "consume", "--queue", q.name(), "--timeout", "60",
                    "--reconnect-timeout", "1.5");
            awaitTrue(() -> consumer.out().lines().count() >= 1, consumer, "printed the message");
            redis.kill();
            long killed = System.nanoTime();
            CliRunner.Result r = consumer.await(30);
            assertThat(r.status()).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(20));
            assertThat(r.errLines()).hasSize(2);
            assertThat(r.errLines().get(0)).startsWith("kombu4j: warning: connection lost (");
            assertThat(r.errLines().get(1)).startsWith("kombu4j: error: connection lost and not re-established within 1.5 s "
                    + "(--reconnect-timeout): ").endsWith("received 1 message from queue 'k4jcli.giveup'");
        }
    }

    @Test
    void aNegativeReconnectTimeoutIsBadUsage() {
        CliRunner.Result r = CliRunner.run("consume", "--queue", "q", "--reconnect-timeout", "-1");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("--reconnect-timeout");
        assertThat(CliRunner.run("consume", "--help").out()).contains("--reconnect-timeout");
    }

    /** Publishes the numbers {@code from} .. {@code from + n - 1}; returns the next number. */
    private static int publish(Producer producer, Queue q, int from, int n) {
        for (int i = from; i < from + n; i++) {
            producer.publish(i, q.name());
        }
        return from + n;
    }

    private static Set<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().collect(Collectors.toCollection(TreeSet::new));
    }

    /** The distinct bodies the consumer has printed so far. */
    private static Set<Integer> printed(CliProcess.Started consumer) throws IOException {
        Set<Integer> seen = new TreeSet<>();
        String out = consumer.out();
        // Only whole lines: the consumer may be writing the last one.
        for (String line : out.substring(0, out.lastIndexOf('\n') + 1).lines().toList()) {
            JsonNode n = M.readTree(line);
            seen.add(n.get("body").asInt());
        }
        return seen;
    }

    private interface Check {
        boolean ok() throws IOException;
    }

    private static void awaitTrue(Check check, CliProcess.Started consumer, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!check.ok()) {
            if (System.nanoTime() > deadline || !consumer.process().isAlive()) {
                throw new AssertionError("consumer has not " + what + " (alive: " + consumer.process().isAlive() + "); stderr: "
                        + consumer.err());
            }
            Thread.sleep(50);
        }
    }
}
