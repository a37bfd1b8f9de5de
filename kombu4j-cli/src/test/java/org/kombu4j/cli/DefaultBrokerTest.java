package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command's default broker, {@code sqlite://} (DESIGN.md, "The {@code kombu4j} command"): with no
 * {@code --url} and no {@code KOMBU4J_URL}, commands run as separate processes share one durable SQLite
 * file, {@code $KOMBU4J_HOME/broker.db} (issue 14: the newcomer's publish used to vanish with its process).
 * Every command here is a real process whose {@code KOMBU4J_HOME} is a temporary directory of the test.
 */
class DefaultBrokerTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir Path home;
    @TempDir Path logs;
    private CliProcess cli;

    @BeforeEach
    void setUp() {
        cli = new CliProcess(home, logs);
    }

    /** The newcomer: publish in one process, consume in the next. */
    @Test
    void publishInOneProcessConsumeInAnother() throws Exception {
        CliRunner.Result pub = cli.run("publish", "--exchange", "tasks", "--routing-key", "hello", "--declare-queue", "hello",
                "--body", "{\"x\":1}");
        assertThat(pub.status()).as(pub.err()).isZero();
        assertThat(pub.errLines()).containsExactly("published 1 message to exchange 'tasks' (direct) with routing key 'hello'");
        assertThat(home.resolve("broker.db")).isRegularFile();

        CliRunner.Result listed = cli.run("queues");
        assertThat(listed.status()).as(listed.err()).isZero();
        assertThat(listed.outLines()).containsExactly("hello\t1");

        CliRunner.Result got = cli.run("consume", "--queue", "hello", "--count", "1");
        assertThat(got.status()).as(got.err()).isZero();
        assertThat(got.outLines()).containsExactly(
                "[hello] exchange=tasks routing_key=hello content_type=application/json body={\"x\":1}");
        assertThat(got.errLines()).singleElement().asString().startsWith("consumed 1 message from queue 'hello' in ");

        // Acknowledged: deleted, not merely hidden. --timeout 0 stops when the queue is empty.
        CliRunner.Result empty = cli.run("consume", "--queue", "hello", "--timeout", "0");
        assertThat(empty.status()).as(empty.err()).isZero();
        assertThat(empty.out()).isEmpty();
        assertThat(cli.run("queues").outLines()).containsExactly("hello\t0");
    }

    /** --json, --count, a declaring consumer (--exchange/--type/--routing-key), --lines, purge and the exit statuses. */
    @Test
    void theOtherFlagsOnTheDefaultBroker() throws Exception {
        // A consumer that declares its queue and binding: a topic exchange this time.
        CliRunner.Result declared = cli.run("consume", "--queue", "events", "--exchange", "ev", "--type", "topic", "--routing-key",
                "order.*", "--timeout", "0");
        assertThat(declared.status()).as(declared.err()).isZero();
        CliRunner.Result pub = cli.runWithInput("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n", "publish", "--exchange", "ev", "--type", "topic",
                "--routing-key", "order.created", "--header", "trace=abc", "--lines");
        assertThat(pub.status()).as(pub.err()).isZero();
        assertThat(cli.run("publish", "--exchange", "ev", "--type", "topic", "--routing-key", "user.signup", "--body", "{}").status())
                .isZero();

        CliRunner.Result two = cli.run("consume", "--queue", "events", "--count", "2", "--json");
        assertThat(two.status()).as(two.err()).isZero();
        List<JsonNode> lines = two.outLines().stream().map(DefaultBrokerTest::json).toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).get("body")).isEqualTo(json("{\"n\":1}"));
        assertThat(lines.get(1).get("body")).isEqualTo(json("{\"n\":2}"));
        JsonNode first = lines.get(0);
        assertThat(first.get("content_type").asText()).isEqualTo("application/json");
        assertThat(first.get("content_encoding").asText()).isEqualTo("utf-8");
        assertThat(first.get("headers")).isEqualTo(json("{\"trace\":\"abc\"}"));
        assertThat(first.get("delivery_info")).isEqualTo(json("{\"exchange\":\"ev\",\"routing_key\":\"order.created\"}"));
        assertThat(first.get("properties").get("delivery_mode").asInt()).isEqualTo(2);
        // --count 2 took two and left the third (user.signup matched no binding: it went nowhere).
        assertThat(cli.run("queues").outLines()).containsExactly("events\t1");

        // A timeout before --count: exit 1, one line; what arrived was printed and acknowledged.
        CliRunner.Result shortOf = cli.run("consume", "--queue", "events", "--count", "2", "--timeout", "1");
        assertThat(shortOf.status()).isEqualTo(1);
        assertThat(shortOf.outLines()).hasSize(1);
        assertThat(shortOf.errLines()).singleElement().asString().startsWith("kombu4j: error: timed out")
                .contains("received 1 of 2");
        // Without --count, a timeout is the normal end.
        CliRunner.Result idle = cli.run("consume", "--queue", "events", "--timeout", "0.5");
        assertThat(idle.status()).as(idle.err()).isZero();
        assertThat(idle.errLines()).singleElement().asString().startsWith("consumed 0 messages");

        assertThat(cli.run("publish", "--exchange", "ev", "--type", "topic", "--routing-key", "order.x", "--body", "1", "--count",
                "8").status()).isZero();
        // A prefetch window smaller than what is taken: acknowledging as it goes keeps the claims coming.
        CliRunner.Result windowed = cli.run("consume", "--queue", "events", "--prefetch", "2", "--count", "5", "--timeout", "10");
        assertThat(windowed.status()).as(windowed.err()).isZero();
        assertThat(windowed.outLines()).hasSize(5);
        CliRunner.Result noAck = cli.run("consume", "--queue", "events", "--no-ack", "--count", "1");
        assertThat(noAck.status()).as(noAck.err()).isZero();
        assertThat(noAck.outLines()).hasSize(1);
        assertThat(cli.run("queues").outLines()).containsExactly("events\t2");
        CliRunner.Result purged = cli.run("purge", "--queue", "events");
        assertThat(purged.status()).as(purged.err()).isZero();
        assertThat(purged.out()).isEqualTo("purged 2 messages from queue 'events'\n");
        CliRunner.Result missing = cli.run("purge", "--queue", "nosuch");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.errLines()).singleElement().asString().startsWith("kombu4j: error: ").contains("nosuch");
        CliRunner.Result absent = cli.run("consume", "--queue", "nosuch", "--timeout", "1");
        assertThat(absent.status()).isEqualTo(1);
        assertThat(absent.errLines()).singleElement().asString().startsWith("kombu4j: error: ").contains("'nosuch'", "not found");
    }

    /**
     * Several commands starting at once on a new file all succeed: the first ones race to create the tables. Each
     * process's schema check used to read in a deferred transaction and then fail its first write at once with
     * SQLITE_BUSY_SNAPSHOT when another process had committed the tables in between (about one round in three
     * with four processes).
     */
    @Test
    void severalCommandsStartingTogetherOnANewFile() throws Exception {
        int n = 6;
        List<CliProcess.Started> started = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            started.add(cli.start("publish", "--exchange", "start", "--routing-key", "q" + i, "--declare-queue", "q" + i, "--body",
                    Integer.toString(i)));
        }
        for (CliProcess.Started p : started) {
            CliRunner.Result r = p.await(60);
            assertThat(r.status()).as(r.err()).isZero();
        }
        assertThat(cli.run("queues").outLines()).containsExactlyElementsOf(
                IntStream.range(0, n).mapToObj(i -> "q" + i + "\t1").toList());
    }

    /** A consumer already waiting is woken by a publish from another process, long before its timeout. */
    @Test
    void aWaitingConsumerIsWokenByAnotherProcess() throws Exception {
        CliProcess.Started consumer = cli.start("consume", "--queue", "wake", "--exchange", "tasks", "--routing-key", "wake",
                "--count", "1", "--timeout", "60");
        try {
            // The consumer declares its queue just before it subscribes: once it is listed, the consumer is waiting.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!cli.run("queues").outLines().contains("wake\t0")) {
                assertThat(System.nanoTime()).as("queue 'wake' declared by the consumer; " + consumer.err()).isLessThan(deadline);
                assertThat(consumer.process().isAlive()).as(consumer.err()).isTrue();
                Thread.sleep(100);
            }
            Thread.sleep(500);
            assertThat(consumer.process().isAlive()).as(consumer.err()).isTrue();
            assertThat(consumer.out()).isEmpty();

            CliRunner.Result pub = cli.run("publish", "--exchange", "tasks", "--routing-key", "wake", "--body", "{\"wake\":true}");
            assertThat(pub.status()).as(pub.err()).isZero();
            long published = System.nanoTime();
            CliRunner.Result got = consumer.await(30);
            double seconds = (System.nanoTime() - published) / 1e9;
            assertThat(got.status()).as(got.err()).isZero();
            assertThat(got.outLines()).singleElement().asString().endsWith("body={\"wake\":true}");
            // Woken, not timed out: SQLite's change counter is polled with a back-off of at most 100 ms; the bound here is
            // only far from the consumer's 60 s so that a loaded machine cannot fail it.
            assertThat(seconds).as("seconds from the publisher's exit to the consumer's").isLessThan(15);
        } finally {
            consumer.process().destroyForcibly();
        }
    }

    /**
     * A consumer SIGKILLed while it holds unacknowledged messages loses none: its rows stay leased (invisible)
     * until the lease, visibility_timeout (30 s by default: no --url here), runs out, and then the next consumer
     * gets every one the dead consumer had not printed. The dead consumer is stuck mid-batch: its standard output
     * is a pipe nobody reads, so it blocks printing with the rest of its batch taken.
     */
    @Test
    void aKilledConsumerLosesNothing() throws Exception {
        int total = 30;
        String pad = "x".repeat(6000); // 30 x 6 KB: far more than a 64 KiB pipe holds
        String input = IntStream.range(0, total).mapToObj(i -> String.format("m%02d %s", i, pad)).collect(Collectors.joining("\n"));
        CliRunner.Result pub = cli.runWithInput(input, "publish", "--exchange", "jobs", "--routing-key", "leased", "--declare-queue",
                "leased", "--serializer", "text", "--lines");
        assertThat(pub.status()).as(pub.err()).isZero();

        Path victimErr = logs.resolve("victim.err");
        Process victim = cli.builder("consume", "--queue", "leased", "--timeout", "120").redirectError(victimErr.toFile()).start();
        long killed;
        String printed;
        try {
            // Everything taken (nothing ready), the consumer alive and stuck writing to the full pipe.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!cli.run("queues").outLines().contains("leased\t0")) {
                assertThat(System.nanoTime()).as("all rows taken; " + Files.readString(victimErr)).isLessThan(deadline);
                assertThat(victim.isAlive()).as(Files.readString(victimErr)).isTrue();
                Thread.sleep(100);
            }
            Thread.sleep(500);
            assertThat(victim.isAlive()).as(Files.readString(victimErr)).isTrue();
            // SIGKILL: no shutdown hook, no close, nothing given back. Through the handle: Process.destroyForcibly()
            // would also close our end of the pipe, and with it what the consumer printed.
            assertThat(victim.toHandle().destroyForcibly()).isTrue();
            assertThat(victim.waitFor(10, TimeUnit.SECONDS)).isTrue();
            killed = System.nanoTime();
            // What it printed before it blocked stays readable in the pipe.
            try (InputStream in = victim.getInputStream()) {
                printed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } finally {
            victim.destroyForcibly();
        }
        Set<String> printedIds = ids(printed.substring(0, printed.lastIndexOf('\n') + 1));
        assertThat(printedIds.size()).as("printed before blocking").isBetween(1, total - 5);

        // Leased, not lost and not yet back: the held rows are invisible until their lease runs out.
        assertThat(cli.run("queues").outLines()).containsExactly("leased\t0");

        int expected = total - printedIds.size();
        CliRunner.Result next = cli.run("consume", "--queue", "leased", "--count", Integer.toString(expected), "--timeout", "55");
        double seconds = (System.nanoTime() - killed) / 1e9;
        assertThat(next.status()).as(next.err()).isZero();
        // A dead consumer's rows return within about 1.5 leases (renewed every lease/3, swept every lease/2).
        assertThat(seconds).as("seconds from the kill to the last redelivery").isLessThan(52);
        Set<String> redelivered = ids(next.out());
        // Anything left was printed (and acknowledged) by the dead consumer, its delete not written yet: at least once.
        CliRunner.Result rest = cli.run("consume", "--queue", "leased", "--timeout", "0");
        assertThat(rest.status()).as(rest.err()).isZero();
        Set<String> leftovers = ids(rest.out());

        Set<String> all = IntStream.range(0, total).mapToObj(i -> String.format("m%02d", i)).collect(Collectors.toCollection(TreeSet::new));
        Set<String> notPrinted = new TreeSet<>(all);
        notPrinted.removeAll(printedIds);
        Set<String> after = new HashSet<>(redelivered);
        after.addAll(leftovers);
        assertThat(after).as("every message the killed consumer had not printed").containsAll(notPrinted);
        assertThat(printedIds).as("leftovers had been printed before").containsAll(leftovers);
        assertThat(cli.run("queues").outLines()).containsExactly("leased\t0");
    }

    /** {@code demo} runs on the default broker and leaves no queue or exchange of its own behind. */
    @Test
    void demoRunsOnTheDefaultBrokerAndCleansUp() throws Exception {
        assertThat(cli.run("publish", "--exchange", "mine", "--routing-key", "keep", "--declare-queue", "keep", "--body", "1")
                .status()).isZero();
        CliRunner.Result demo = cli.withEnv(Map.of("KOMBU4J_URL", "nosuch://ignored")).run("demo");
        assertThat(demo.status()).as(demo.err()).isZero();
        assertThat(demo.out()).contains("kombu4j demo on sqlite://", "9 of 9 deliveries received and acknowledged",
                "Cleaned up 5 queues and 3 exchanges.").doesNotContain("MISMATCH", "safety timeout");
        assertThat(demo.err()).isEmpty();
        // The user's own queue and message are untouched; nothing of the demo's is left.
        assertThat(cli.run("queues").outLines()).containsExactly("keep\t1");
    }

    /** Without KOMBU4J_HOME the file is $XDG_DATA_HOME/kombu4j/broker.db (the directory made on first use). */
    @Test
    void theDefaultFileFollowsXdgDataHome() throws Exception {
        Path xdg = home.resolve("xdg");
        CliProcess xdgCli = cli.withEnv(Map.of("KOMBU4J_HOME", "", "XDG_DATA_HOME", xdg.toString()));
        CliRunner.Result pub = xdgCli.run("publish", "--exchange", "", "--routing-key", "q", "--declare-queue", "q", "--body", "2");
        assertThat(pub.status()).as(pub.err()).isZero();
        assertThat(xdg.resolve("kombu4j/broker.db")).isRegularFile();
        assertThat(home.resolve("broker.db")).doesNotExist();
        // The same file, named explicitly with SQLAlchemy's four slashes and Kombu's prefix.
        CliRunner.Result got = cli.run("--url", "sqla+sqlite:///" + xdg.resolve("kombu4j/broker.db"), "consume", "--queue", "q",
                "--count", "1", "--json");
        assertThat(got.status()).as(got.err()).isZero();
        assertThat(json(got.outLines().get(0)).get("body").asInt()).isEqualTo(2);
    }

    private static Set<String> ids(String out) {
        return out.lines().filter(l -> !l.isBlank()).map(l -> {
            int at = l.indexOf(" body=");
            assertThat(at).as(l).isPositive();
            return l.substring(at + 6, at + 9);
        }).collect(Collectors.toCollection(TreeSet::new));
    }

    private static JsonNode json(String s) {
        try {
            return M.readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(s, e);
        }
    }
}
