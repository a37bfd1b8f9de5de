package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.transport.DeadLetters;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.brokers.LocalRedis;

/**
 * {@code kombu4j dead-letters list|requeue} on every transport: dead letters put into a queue with the
 * x-death headers {@link DeadLetters#record} makes (the layout every transport writes) are listed without
 * being taken, and moved back to the queue they died in with their headers, or left in place and reported.
 */
class DeadLettersCommandTest {
    private static final ObjectMapper M = new ObjectMapper();
    /** 2023-11-14T22:13:20Z. */
    private static final Instant DIED = Instant.ofEpochSecond(1_700_000_000L);

    @TempDir Path dir;
    private final List<Runnable> cleanups = new ArrayList<>();
    private String url = "";
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String origin = "k4jcli.orders." + suffix;
    private final String dlq = "k4jcli.dlq." + suffix;
    private final String other = "k4jcli.other." + suffix;

    @AfterEach
    void cleanUp() {
        cleanups.forEach(Runnable::run);
    }

    /** The broker's URL; on shared brokers the test's queues are deleted afterwards. */
    private String broker(String transport) {
        url = switch (transport) {
            case "memory" -> "memory://";
            case "sqlite" -> "sqlite:///" + dir.resolve("broker.db");
            case "redis" -> {
                LocalRedis.require();
                yield "redis://127.0.0.1:6379/13";
            }
            case "amqp" -> LocalRabbit.url();
            default -> throw new IllegalArgumentException(transport);
        };
        try (Connection conn = Connection.open(url)) {
            TransportChannel ch = conn.defaultChannel();
            for (String q : List.of(origin, dlq, other)) {
                ch.declareQueue(Queue.of(q), false);
            }
        }
        cleanups.add(() -> {
            try (Connection conn = Connection.open(url)) {
                for (String q : List.of(origin, dlq, other)) {
                    conn.defaultChannel().deleteQueue(q);
                }
            }
        });
        return url;
    }

    private CliRunner.Result cli(String... args) {
        return CliRunner.runWith(Map.of("KOMBU4J_URL", url), "", args);
    }

    /** Puts a JSON message into the dead-letter queue, as if it had died in {@code diedIn} (null: no x-death). */
    private void deadLetter(String body, @Nullable String diedIn) {
        Map<String, Object> headers = Map.of("trace", "t-" + body);
        if (diedIn != null) {
            headers = DeadLetters.record(headers, DeadLetters.REJECTED, diedIn, "", diedIn, DIED);
        }
        try (Connection conn = Connection.open(url)) {
            conn.defaultChannel().publish(new OutgoingMessage("", dlq, new RawMessage(body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    "application/json", "utf-8", headers, Map.of("delivery_mode", 2)), false));
        }
    }

    private List<JsonNode> json(CliRunner.Result r) throws Exception {
        assertThat(r.status()).as(r.err()).isZero();
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.outLines()) {
            out.add(M.readTree(line));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite", "redis", "amqp"})
    void listShowsDeadLettersAndLeavesThemInTheQueue(String transport) throws Exception {
        broker(transport);
        for (int i = 0; i < 3; i++) {
            deadLetter("{\"n\":" + i + "}", origin);
        }
        CliRunner.Result r = cli("dead-letters", "list", "--queue", dlq);
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.outLines()).hasSize(3).allMatch(l -> l.startsWith("[" + dlq + "] reason=rejected queue=" + origin
                + " count=1 time=2023-11-14T22:13:20Z routing_key=" + origin + " body={\"n\":"));
        assertThat(r.outLines()).map(l -> l.substring(l.indexOf("body="))).containsExactlyInAnyOrder(
                "body={\"n\":0}", "body={\"n\":1}", "body={\"n\":2}");

        // Still there, and --count takes fewer.
        assertThat(cli("dead-letters", "list", "--queue", dlq).outLines()).hasSize(3);
        assertThat(cli("dead-letters", "list", "--queue", dlq, "--count", "2").outLines()).hasSize(2);

        List<JsonNode> lines = json(cli("dead-letters", "list", "--queue", dlq, "--json"));
        assertThat(lines).hasSize(3);
        JsonNode first = lines.get(0);
        assertThat(first.get("reason").asText()).isEqualTo("rejected");
        assertThat(first.get("queue").asText()).isEqualTo(origin);
        assertThat(first.get("count").asLong()).isEqualTo(1);
        assertThat(first.get("time").asText()).isEqualTo("2023-11-14T22:13:20Z");
        assertThat(first.get("routing_key").asText()).isEqualTo(origin);
        assertThat(first.get("body").get("n").isInt()).isTrue();
        assertThat(first.get("content_type").asText()).isEqualTo("application/json");
        assertThat(first.get("headers").get("x-death").get(0).get("queue").asText()).isEqualTo(origin);
        assertThat(first.get("headers").get("trace").asText()).startsWith("t-");
        assertThat(first.has("properties")).isTrue();
        assertThat(first.get("delivery_info").get("routing_key").asText()).isEqualTo(dlq);

        // Nothing was consumed along the way.
        assertThat(json(cli("consume", "--queue", dlq, "--json", "--timeout", "0"))).hasSize(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite", "redis", "amqp"})
    void requeueMovesEachBackToTheQueueItDiedInWithItsHeaders(String transport) throws Exception {
        broker(transport);
        for (int i = 0; i < 3; i++) {
            deadLetter("{\"n\":" + i + "}", origin);
        }
        CliRunner.Result r = cli("dead-letters", "requeue", "--queue", dlq);
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("moved 3 messages\n");
        assertThat(cli("dead-letters", "list", "--queue", dlq).outLines()).isEmpty();

        List<JsonNode> back = json(cli("consume", "--queue", origin, "--json", "--timeout", "0"));
        assertThat(back).extracting(n -> n.get("body").get("n").asInt()).containsExactlyInAnyOrder(0, 1, 2);
        for (JsonNode n : back) {
            // Headers kept, so a second death counts on from this one.
            assertThat(n.get("headers").get("x-death").get(0).get("count").asLong()).isEqualTo(1);
            assertThat(n.get("headers").get("x-death").get(0).get("reason").asText()).isEqualTo("rejected");
            assertThat(n.get("headers").get("trace").asText()).startsWith("t-");
            assertThat(n.get("delivery_info").get("routing_key").asText()).isEqualTo(origin);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "sqlite", "redis", "amqp"})
    void aDeadLetterThatSaysNowhereWhereItDiedIsLeftInPlaceAndReported(String transport) throws Exception {
        broker(transport);
        deadLetter("{\"n\":0}", origin);
        deadLetter("{\"n\":1}", null);
        deadLetter("{\"n\":2}", origin);
        CliRunner.Result r = cli("dead-letters", "requeue", "--queue", dlq);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("moved 2 messages\n");
        assertThat(r.errLines()).singleElement().asString().isEqualTo("kombu4j: error: left 1 message in queue '" + dlq
                + "': no x-death header says where it died (give --to QUEUE)");
        assertThat(json(cli("consume", "--queue", origin, "--json", "--timeout", "0"))).hasSize(2);

        // Left in place, listed as such; --to moves it, and --count bounds how many.
        assertThat(cli("dead-letters", "list", "--queue", dlq).outLines()).singleElement().asString()
                .isEqualTo("[" + dlq + "] reason=- queue=- count=0 time=- routing_key=" + dlq + " body={\"n\":1}");
        deadLetter("{\"n\":3}", origin);
        CliRunner.Result one = cli("dead-letters", "requeue", "--queue", dlq, "--to", other, "--count", "1");
        assertThat(one.status()).as(one.err()).isZero();
        assertThat(one.out()).isEqualTo("moved 1 messages\n");
        assertThat(cli("dead-letters", "requeue", "--queue", dlq, "--to", other).out()).isEqualTo("moved 1 messages\n");
        assertThat(json(cli("consume", "--queue", other, "--json", "--timeout", "0")))
                .extracting(n -> n.get("body").get("n").asInt()).containsExactlyInAnyOrder(1, 3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "amqp"})
    void aDeadLetterWhoseQueueIsGoneIsLeftInPlace(String transport) throws Exception {
        broker(transport);
        deadLetter("{\"n\":0}", "k4jcli.gone." + suffix);
        CliRunner.Result r = cli("dead-letters", "requeue", "--queue", dlq);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("moved 0 messages\n");
        assertThat(r.errLines()).singleElement().asString().isEqualTo("kombu4j: error: left 1 message in queue '" + dlq
                + "': queue 'k4jcli.gone." + suffix + "' is gone");
        assertThat(cli("dead-letters", "list", "--queue", dlq).outLines()).hasSize(1);
    }

    @Test
    void badUsageAndAMissingQueue() {
        url = "memory://";
        assertThat(cli("dead-letters").status()).isEqualTo(2);
        assertThat(cli("dead-letters", "list").status()).isEqualTo(2);
        assertThat(cli("dead-letters", "list", "--queue", "q", "--count", "0").status()).isEqualTo(2);
        assertThat(cli("dead-letters", "requeue", "--queue", "q", "--to", "q").status()).isEqualTo(2);
        CliRunner.Result missing = cli("dead-letters", "list", "--queue", "k4jcli.nosuch." + suffix);
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.errLines()).singleElement().asString().startsWith("kombu4j: error: ").contains("not found");
        // --url is accepted after the subcommand as everywhere else.
        assertThat(CliRunner.runWith(Map.of("KOMBU4J_URL", "nosuch://x"), "", "dead-letters", "list", "--queue", "q",
                "--url", "memory://").err()).doesNotContain("nosuch");
    }

    @Test
    void helpShowsTheFlags() {
        url = "memory://";
        CliRunner.Result top = cli("dead-letters", "--help");
        assertThat(top.status()).isZero();
        assertThat(top.out()).startsWith("Usage: kombu4j dead-letters").contains("list", "requeue", "--url");
        assertThat(cli("dead-letters", "list", "--help").out()).contains("--queue", "--count", "--json", "--url");
        assertThat(cli("dead-letters", "requeue", "--help").out()).contains("--queue", "--count", "--to", "--url");
        assertThat(cli("--help").out()).contains("dead-letters");
    }
}
