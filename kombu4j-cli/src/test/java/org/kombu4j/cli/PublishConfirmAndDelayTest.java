package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kombu4j.cli.CliRunner.run;
import static org.kombu4j.cli.CliRunner.runWith;
import static org.kombu4j.cli.CliRunner.unique;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.amqp.AmqpTransport;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.transport.TransportChannel;

/** {@code publish}: every message of --count/--lines confirmed or exit 1; --countdown/--eta. */
class PublishConfirmAndDelayTest {

    private static void assertUsageError(CliRunner.Result r, String contains) {
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: ").doesNotStartWith("kombu4j: error:")
                .contains(contains);
    }

    private static CliRunner.Result publish(String... more) {
        String[] args = new String[4 + more.length];
        System.arraycopy(new String[] {"publish", "--exchange", "", "--routing-key"}, 0, args, 0, 4);
        System.arraycopy(more, 0, args, 4, more.length);
        return run(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-1", "NaN", "Infinity", "1e20", ""})
    void aBadCountdownIsAUsageError(String value) {
        assertUsageError(publish("q", "--body", "1", "--countdown", value), "--countdown expects seconds");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tomorrow", "2030-01-01T00:00:00", "2030-13-01T00:00:00Z", "1700000000"})
    void aBadEtaIsAUsageError(String value) {
        assertUsageError(publish("q", "--body", "1", "--eta", value), "--eta expects an ISO-8601 time with an offset");
    }

    @Test
    void countdownAndEtaAreMutuallyExclusive() {
        assertUsageError(publish("q", "--body", "1", "--countdown", "5", "--eta", "2030-01-01T00:00:00Z"),
                "mutually exclusive");
    }

    /** End to end through the CLI on the in-process broker: not there before its countdown, there after it. */
    @Test
    void aCountdownHoldsTheMessageBackUntilDue() {
        String q = unique("q");
        long start = System.currentTimeMillis();
        CliRunner.Result p = publish(q, "--declare-queue", q, "--body", "\"later\"", "--countdown", "1.5");
        assertThat(p.status()).as(p.err()).isZero();
        CliRunner.Result early = run("consume", "--queue", q, "--count", "1", "--timeout", "0.5");
        assertThat(early.status()).as("nothing before the countdown: " + early.out()).isEqualTo(1);
        assertThat(early.out()).isEmpty();
        CliRunner.Result due = run("consume", "--queue", q, "--count", "1", "--timeout", "5", "--json");
        assertThat(due.status()).as(due.err()).isZero();
        assertThat(System.currentTimeMillis() - start).isGreaterThanOrEqualTo(1500);
        assertThat(due.out()).contains("\"body\":\"later\"");
    }

    @Test
    void everyMessageOfACountIsConfirmedOnRabbitMq() {
        String url = LocalRabbit.url();
        String q = unique("k4jcli.batch");
        try {
            CliRunner.Result r = runWith(Map.of("KOMBU4J_URL", url), "", "publish", "--exchange", "", "--routing-key", q,
                    "--declare-queue", q, "--body", "{\"n\":1}", "--count", "3000");
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.err()).isEqualTo("published 3000 messages to the default exchange with routing key '" + q + "'\n");
            try (Connection c = Connection.open(url)) {
                assertThat(c.channel().declareQueue(Queue.of(q), true).messageCount()).isEqualTo(3000);
            }
        } finally {
            delete(url, q);
        }
    }

    /** A queue that takes 10 messages and nacks the rest (x-overflow reject-publish): exit 1 saying how many. */
    @Test
    void nackedMessagesMakeTheCommandFailSayingHowMany() {
        String url = LocalRabbit.url();
        String q = unique("k4jcli.full");
        try (Connection c = Connection.open(url)) {
            c.channel().declareQueue(Queue.named(q).maxLength(10).argument("x-overflow", "reject-publish").build(), false);
            CliRunner.Result r = runWith(Map.of("KOMBU4J_URL", url), "a\nb\n", "publish", "--exchange", "",
                    "--routing-key", q, "--serializer", "text", "--lines", "--count", "50");
            assertThat(r.status()).as(r.err()).isEqualTo(1);
            assertThat(r.errLines()).singleElement().asString().startsWith("kombu4j: error: 90 of 100 messages were"
                    + " not confirmed by the broker (90 nacked, 0 returned unroutable, 0 other); first: message ");
        } finally {
            delete(url, q);
        }
    }

    /** --countdown and --eta on RabbitMQ: nothing in the queue before the due time, each message soon after it. */
    @Test
    void countdownAndEtaDelayDeliveryOnRabbitMq() throws Exception {
        String url = LocalRabbit.url();
        String q = unique("k4jcli.delay");
        try (Connection c = Connection.open(url)) {
            TransportChannel ch = c.channel();
            ch.declareQueue(Queue.of(q), false);
            long before = System.currentTimeMillis();
            CliRunner.Result r = runWith(Map.of("KOMBU4J_URL", url), "", "publish", "--exchange", "", "--routing-key", q,
                    "--body", "\"soon\"", "--countdown", "1.5");
            assertThat(r.status()).as(r.err()).isZero();
            String eta = java.time.Instant.ofEpochMilli(before + 2500).toString();
            r = runWith(Map.of("KOMBU4J_URL", url), "", "publish", "--exchange", "", "--routing-key", q,
                    "--body", "\"later\"", "--eta", eta);
            assertThat(r.status()).as(r.err()).isZero();
            long[] arrived = new long[2];
            int got = 0;
            while (got < 2 && System.currentTimeMillis() < before + 10_000) {
                org.kombu4j.transport.TransportMessage m = ch.get(q, true);
                if (m == null) {
                    Thread.sleep(20);
                    continue;
                }
                arrived[got++] = System.currentTimeMillis();
            }
            assertThat(got).isEqualTo(2);
            assertThat(arrived[0]).isGreaterThanOrEqualTo(before + 1500).isLessThan(before + 1500 + 3000);
            assertThat(arrived[1]).isGreaterThanOrEqualTo(before + 2500).isLessThan(before + 2500 + 3000);
        } finally {
            // Only this destination's last hops: other runs on the broker may be delaying through theirs.
            try (Connection c = Connection.open(url)) {
                ((AmqpTransport) c.transport()).deleteDelayQueues("", q);
            }
            delete(url, q);
        }
    }

    private static void delete(String url, String queue) {
        try (Connection c = Connection.open(url)) {
            TransportChannel ch = c.channel();
            ch.deleteQueue(queue);
        }
    }
}
