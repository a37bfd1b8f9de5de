package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kombu4j.cli.CliRunner.run;
import static org.kombu4j.cli.CliRunner.runWith;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class UsageAndErrorsTest {
    private static void assertUsageError(CliRunner.Result r, String... contains) {
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("kombu4j: ").doesNotStartWith("kombu4j: error:").contains(contains)
                .doesNotContain("\tat ");
    }

    @Test
    void malformedUrl() {
        assertUsageError(run("--url", "not a url", "queues"), "malformed broker URL");
        assertUsageError(run("--url", "redis://host:99999/0", "queues"), "port");
    }

    /** An unknown host is a broker error naming the host; Redis used to print only "UnresolvedAddressException". */
    @ParameterizedTest
    @ValueSource(strings = {"redis://user:s3cret@nosuchhost.invalid:6379/0", "amqp://user:s3cret@nosuchhost.invalid:5672//"})
    void unknownHostIsABrokerErrorNamingIt(String url) {
        CliRunner.Result r = run("--url", url, "queues");
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: error: ").contains("nosuchhost.invalid")
                .doesNotContain("s3cret", "Exception");
    }

    @Test
    void unknownSchemeNamesTheKnownOnes() {
        assertUsageError(run("--url", "nosuch://localhost", "purge", "--queue", "q"), "known schemes are ", "memory");
    }

    @Test
    void passwordsAreNeverPrinted() {
        CliRunner.Result r = run("--url", "nosuch://user:s3cret@localhost/0", "queues");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).doesNotContain("s3cret").contains("user:***@");
        CliRunner.Result bad = run("--url", "no such://user:s3cret@localhost/0", "queues");
        assertThat(bad.err()).doesNotContain("s3cret");
    }

    @Test
    void unknownSerializer() {
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--serializer", "pickle", "--body", "1"),
                "unknown serializer 'pickle'");
    }

    @Test
    void unknownCompression() {
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--compression", "rar", "--body", "1"), "rar");
    }

    @Test
    void invalidJsonBody() {
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--body", "{\"a\":"), "--body is not valid JSON: ");
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--body", "{} trailing"), "--body is not valid JSON");
        assertUsageError(runWith(Map.of(), "{}\nnope\n", "publish", "--exchange", "", "--routing-key", "r", "--lines"),
                "line 2 of standard input is not valid JSON", "(1 message before it was published)");
    }

    @Test
    void badValues() {
        assertUsageError(run("publish", "--exchange", "x", "--type", "round", "--routing-key", "r", "--body", "1"),
                "unknown exchange type 'round'");
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--priority", "300", "--body", "1"), "priority");
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--header", "novalue", "--body", "1"), "K=V");
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--count", "0", "--body", "1"), "--count");
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--file", "/no/such/file"), "cannot read --file");
        assertUsageError(run("consume", "--queue", "q", "--timeout", "-1"), "--timeout");
        assertUsageError(run("consume", "--queue", "q", "--routing-key", "rk"), "need --exchange");
        assertUsageError(run("consume", "--queue", "q", "--count", "many"), "--count");
        // No queue has an empty name: a message sent there was lost, a purge there emptied a list named "".
        assertUsageError(run("publish", "--exchange", "", "--routing-key", "", "--body", "1"), "--routing-key");
        assertUsageError(run("purge", "--queue", ""), "a queue needs a name");
        assertUsageError(run("consume", "--queue", ""), "a queue needs a name");
    }

    @Test
    void missingOrConflictingFlags() {
        assertUsageError(run("publish", "--exchange", "x", "--body", "1"), "--routing-key");
        assertUsageError(run("publish", "--routing-key", "r", "--body", "1"), "--exchange");
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r"), "--body");
        assertUsageError(run("publish", "--exchange", "x", "--routing-key", "r", "--body", "1", "--lines"), "mutually exclusive");
        assertUsageError(run("consume"), "--queue");
        assertUsageError(run("purge"), "--queue");
        assertUsageError(run("bench"), "SCENARIO");
        assertUsageError(run("queues", "--bogus"), "--bogus");
        assertUsageError(run("nonsense"), "nonsense");
        assertUsageError(run(), "missing a command");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "publish", "consume", "purge", "queues", "demo", "bench"})
    void helpOnEveryCommand(String command) {
        CliRunner.Result r = command.isEmpty() ? run("--help") : run(command, "--help");
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("Usage: kombu4j" + (command.isEmpty() ? "" : " " + command)).contains("--url");
    }

    @Test
    void helpShowsTheContractFlags() {
        assertThat(run("publish", "--help").out()).contains("--exchange", "--type", "--routing-key", "--serializer",
                "--compression", "--priority", "--header", "--declare-queue", "--count", "--body", "--file", "--lines");
        assertThat(run("consume", "--help").out()).contains("--queue", "--exchange", "--type", "--routing-key", "--count",
                "--timeout", "--no-ack", "--prefetch", "--json");
        assertThat(run("bench", "--help").out()).contains("SCENARIO", "--messages", "--body-bytes", "--prefetch", "--queues",
                "--rate", "--seconds", "--repeat", "--compare");
    }

    @Test
    void version() {
        CliRunner.Result r = run("--version");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("kombu4j ");
    }

    @Test
    void benchRunsTheHarnessAndPrintsJsonLines() {
        CliRunner.Result r = run("--url", "memory://", "bench", "publish", "--messages", "200", "--no-peers");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("{")).toList()).singleElement().satisfies(line -> assertThat(line)
                .contains("\"system\":\"kombu4j\"", "\"scenario\":\"publish\"", "\"messages\":200", "\"missing\":0"));
    }

    @Test
    void debugShowsStackTraces() {
        CliRunner.Result r = runWith(Map.of("KOMBU4J_DEBUG", "1"), "", "--url", "nosuch://h", "queues");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("\tat ").contains("kombu4j: unknown transport scheme");
    }
}
