package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kombu4j.cli.CliRunner.unique;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kombu4j.testkit.brokers.PrivateSentinels;

/**
 * The command on a {@code sentinel://} URL (a private master, replica and three sentinels): publish, consume,
 * queues and a Celery worker and call through the sentinels, and the errors for a bad list.
 */
class SentinelCliTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static PrivateSentinels group;

    @TempDir Path tmp;

    @BeforeAll
    static void start() throws Exception {
        group = new PrivateSentinels(1, List.of("--requirepass", "m4ster", "--masterauth", "m4ster"), null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (group != null) {
            group.close();
        }
    }

    private static String url() {
        return group.url(":m4ster@", "/2", "?master_name=" + PrivateSentinels.MASTER_NAME);
    }

    private static CliRunner.Result cli(String url, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = url;
        System.arraycopy(args, 0, all, 2, args.length);
        return CliRunner.run(all);
    }

    @Test
    void publishConsumeAndQueuesGoThroughTheSentinels() throws Exception {
        String q = unique("sentinel.cli");
        CliRunner.Result p = cli(url(), "publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--body", "{\"n\":1}");
        assertThat(p.status()).as(p.err()).isZero();
        CliRunner.Result listed = cli(url(), "queues");
        assertThat(listed.status()).as(listed.err()).isZero();
        assertThat(listed.outLines()).contains(q + "\t1");
        CliRunner.Result c = cli(url(), "consume", "--queue", q, "--count", "1", "--timeout", "5", "--json");
        assertThat(c.status()).as(c.err()).isZero();
        assertThat(M.readTree(c.out()).get("body")).isEqualTo(M.readTree("{\"n\":1}"));
        assertThat(p.err() + listed.err() + c.err()).doesNotContain("m4ster");
    }

    @Test
    void celeryWorkerAndCallGoThroughTheSentinels() throws Exception {
        String queue = unique("sentinel.celery");
        CliProcess proc = new CliProcess(Files.createDirectories(tmp.resolve("home")), tmp);
        CliProcess.Started w = proc.start("--url", url(), "celery", "worker", "--tasks",
                "org.kombu4j.examples.celery.ExampleTasks", "--queues", queue, "--concurrency", "1");
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!w.err().contains(" ready.")) {
                assertThat(w.process().isAlive() && System.nanoTime() < deadline).as("worker started: " + w.err()).isTrue();
                Thread.sleep(100);
            }
            CliRunner.Result ok = cli(url(), "celery", "call", "examples.add", "--args", "[2, 3]", "--queue", queue,
                    "--wait", "30");
            assertThat(ok.status()).as(ok.err()).isZero();
            assertThat(ok.out()).matches("\\{\"id\":\"[0-9a-f-]{36}\",\"status\":\"SUCCESS\",\"result\":5}\n");
        } finally {
            w.process().destroyForcibly();
        }
    }

    @Test
    void aListWithoutMasterNameIsAUsageError() {
        CliRunner.Result r = cli("sentinel://:pw1@127.0.0.1:26379;sentinel://127.0.0.1:26380", "queues");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: ").contains("master_name")
                .doesNotContain("pw1", "Exception");
    }

    @Test
    void aMasterNameTheSentinelsDoNotKnowIsNamed() {
        CliRunner.Result r = cli(group.url("", "", "?master_name=nosuchmaster"), "publish", "--exchange", "", "--routing-key", "x",
                "--body", "1");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: ").contains("'nosuchmaster'");
    }

    @Test
    void sentinelsThatAreAllDownAreABrokerErrorAtOnce() throws Exception {
        int a;
        try (ServerSocket s = new ServerSocket(0)) {
            a = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        CliRunner.Result r = cli("sentinel://127.0.0.1:" + a + "?master_name=m", "consume", "--queue", "q", "--count", "1",
                "--timeout", "30");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: error: ")
                .contains("no Redis Sentinel of 127.0.0.1:" + a);
    }
}
