package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kombu4j.cli.CliRunner.run;
import static org.kombu4j.cli.CliRunner.runWith;
import static org.kombu4j.cli.CliRunner.unique;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kombu4j.Connection;
import org.kombu4j.PublishOptions;

class PublishConsumeTest {
    private static final ObjectMapper M = new ObjectMapper();

    private static List<JsonNode> consumeJson(String queue, int count) throws Exception {
        CliRunner.Result r = run("consume", "--queue", queue, "--count", Integer.toString(count), "--timeout", "2", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.outLines()) {
            out.add(M.readTree(line));
        }
        assertThat(out).hasSize(count);
        return out;
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void jsonBodyHeadersAndPriorityRoundTrip() throws Exception {
        String ex = unique("ex");
        String q = unique("q");
        CliRunner.Result p = run("publish", "--exchange", ex, "--type", "topic", "--routing-key", "a.b", "--declare-queue", q,
                "--body", "{\"a\":1,\"b\":[true,null,2.5],\"c\":{\"d\":\"e\"}}", "--header", "n=5", "--header", "s=hello",
                "--header", "t=true", "--header", "z=null", "--header", "f=1.5", "--header", "w=5 apples", "--priority", "3");
        assertThat(p.status()).as(p.err()).isZero();
        assertThat(p.out()).isEmpty();
        assertThat(p.err()).isEqualTo("published 1 message to exchange '" + ex + "' (topic) with routing key 'a.b'\n");

        JsonNode m = consumeJson(q, 1).get(0);
        assertThat(fieldNames(m)).containsExactly("body", "content_type", "content_encoding", "headers", "properties",
                "delivery_info");
        assertThat(m.get("body")).isEqualTo(M.readTree("{\"a\":1,\"b\":[true,null,2.5],\"c\":{\"d\":\"e\"}}"));
        assertThat(m.get("content_type").asText()).isEqualTo("application/json");
        assertThat(m.get("content_encoding").asText()).isEqualTo("utf-8");
        assertThat(m.get("headers")).isEqualTo(M.readTree("{\"n\":5,\"s\":\"hello\",\"t\":true,\"z\":null,\"f\":1.5,\"w\":\"5 apples\"}"));
        assertThat(m.get("properties").get("priority").asInt()).isEqualTo(3);
        assertThat(m.get("properties").get("delivery_mode").asInt()).isEqualTo(2);
        assertThat(m.get("delivery_info")).isEqualTo(M.readTree("{\"exchange\":\"" + ex + "\",\"routing_key\":\"a.b\"}"));
    }

    @Test
    void jsonScalarBodiesArePublishedAsJson() throws Exception {
        String q = unique("q");
        assertThat(run("publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--body", "\"just a string\"")
                .status()).isZero();
        assertThat(run("publish", "--exchange", "", "--routing-key", q, "--body", "42").status()).isZero();
        List<JsonNode> ms = consumeJson(q, 2);
        assertThat(ms.get(0).get("body").asText()).isEqualTo("just a string");
        assertThat(ms.get(1).get("body").asInt()).isEqualTo(42);
        assertThat(ms.get(0).get("delivery_info").get("exchange").asText()).isEmpty();
        assertThat(ms.get(0).get("delivery_info").get("routing_key").asText()).isEqualTo(q);
    }

    @Test
    void textBodyIsSentAsIs() throws Exception {
        String q = unique("q");
        CliRunner.Result p = run("publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--serializer", "text",
                "--body", "{not json} héllo");
        assertThat(p.status()).as(p.err()).isZero();
        assertThat(p.err()).contains("the default exchange");
        JsonNode m = consumeJson(q, 1).get(0);
        assertThat(m.get("body").asText()).isEqualTo("{not json} héllo");
        assertThat(m.get("content_type").asText()).isEqualTo("text/plain");
        assertThat(m.get("content_encoding").asText()).isEqualTo("utf-8");
    }

    @Test
    void rawBodyIsBase64(@TempDir Path dir) throws Exception {
        String ex = unique("ex");
        String q = unique("q");
        byte[] bytes = {0, 1, 2, (byte) 0xff, 10, 'x'};
        Path f = dir.resolve("body.bin");
        Files.write(f, bytes);
        CliRunner.Result p = run("publish", "--exchange", ex, "--routing-key", "rk", "--declare-queue", q, "--serializer", "raw",
                "--file", f.toString());
        assertThat(p.status()).as(p.err()).isZero();
        JsonNode m = consumeJson(q, 1).get(0);
        assertThat(Base64.getDecoder().decode(m.get("body").asText())).isEqualTo(bytes);
        assertThat(m.get("content_type").asText()).isEqualTo("application/data");
        assertThat(m.get("content_encoding").asText()).isEqualTo("binary");
    }

    @Test
    void fileBodyIsParsedAsJson(@TempDir Path dir) throws Exception {
        String q = unique("q");
        Path f = dir.resolve("body.json");
        Files.writeString(f, "{\n  \"k\": [1, 2]\n}\n");
        assertThat(run("publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--file", f.toString()).status())
                .isZero();
        assertThat(consumeJson(q, 1).get(0).get("body")).isEqualTo(M.readTree("{\"k\":[1,2]}"));
    }

    @Test
    void linesPublishEachLineAndCountRepeats() throws Exception {
        String q = unique("q");
        CliRunner.Result p = runWith(Map.of(), "{\"i\":1}\n\n{\"i\":2}\n", "publish", "--exchange", "", "--routing-key", q,
                "--declare-queue", q, "--lines", "--count", "2");
        assertThat(p.status()).as(p.err()).isZero();
        assertThat(p.err()).startsWith("published 4 messages");
        List<JsonNode> ms = consumeJson(q, 4);
        assertThat(ms).extracting(n -> n.get("body").get("i").asInt()).containsExactly(1, 1, 2, 2);
    }

    /** Raw lines are sent byte for byte, CRLF and LF alike, the last one even without a newline. */
    @Test
    void rawLinesAreBytesAndCrLfIsALineEnd() throws Exception {
        String q = unique("q");
        byte[] stdin = {'a', '\r', '\n', (byte) 0xff, (byte) 0xfe, '\n', '\n', 'z'};
        CliRunner.Result p = runWith(Map.of(), stdin, "publish", "--exchange", "", "--routing-key", q, "--declare-queue", q,
                "--serializer", "raw", "--lines");
        assertThat(p.status()).as(p.err()).isZero();
        assertThat(consumeJson(q, 4)).extracting(n -> n.get("body").asText())
                .containsExactly("YQ==", "//4=", "", "eg==");
    }

    /** Text that is not UTF-8 is refused (exit 2), not published with U+FFFD in place of each bad byte. */
    @Test
    void textThatIsNotUtf8IsBadUsage(@TempDir Path dir) throws Exception {
        String q = unique("q");
        byte[] latin1 = "caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        Path f = dir.resolve("latin1.txt");
        Files.write(f, latin1);
        for (CliRunner.Result r : List.of(
                run("publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--serializer", "text",
                        "--file", f.toString()),
                runWith(Map.of(), latin1, "publish", "--exchange", "", "--routing-key", q, "--declare-queue", q,
                        "--serializer", "text", "--lines"))) {
            assertThat(r.status()).as(r.err()).isEqualTo(2);
            assertThat(r.errLines()).singleElement().asString().contains("is not valid UTF-8");
        }
        assertThat(run("queues").outLines()).noneMatch(l -> l.startsWith(q + "\t") && !l.equals(q + "\t0"));
    }

    @Test
    void readableLines() {
        String ex = unique("ex");
        String q = unique("q");
        run("publish", "--exchange", ex, "--routing-key", "rk", "--declare-queue", q, "--body", "{\"a\":1}", "--count", "2");
        run("publish", "--exchange", ex, "--routing-key", "rk", "--serializer", "text", "--body", "two\nlines");
        CliRunner.Result r = run("consume", "--queue", q, "--count", "3", "--timeout", "2");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.outLines()).containsExactly(
                "[" + q + "] exchange=" + ex + " routing_key=rk content_type=application/json body={\"a\":1}",
                "[" + q + "] exchange=" + ex + " routing_key=rk content_type=application/json body={\"a\":1}",
                "[" + q + "] exchange=" + ex + " routing_key=rk content_type=text/plain body=two\\nlines");
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("consumed 3 messages from queue '" + q + "' in ").contains("msgs/s");
    }

    @Test
    void timeoutBeforeCountExitsOne() {
        String q = unique("q");
        run("publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--body", "1");
        long t0 = System.nanoTime();
        CliRunner.Result r = run("consume", "--queue", q, "--count", "3", "--timeout", "0.5", "--json");
        assertThat(r.status()).isEqualTo(1);
        assertThat((System.nanoTime() - t0) / 1e9).isBetween(0.4, 5.0);
        assertThat(r.outLines()).hasSize(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("kombu4j: error: timed out").contains("received 1 of 3");
    }

    @Test
    void withoutCountATimeoutIsSuccess() {
        String q = unique("q");
        run("publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--body", "1", "--count", "2");
        CliRunner.Result r = run("consume", "--queue", q, "--timeout", "0.3");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.outLines()).hasSize(2);
        CliRunner.Result empty = run("consume", "--queue", q, "--timeout", "0");
        assertThat(empty.status()).isZero();
        assertThat(empty.out()).isEmpty();
        assertThat(empty.err()).startsWith("consumed 0 messages");
    }

    @Test
    void messagesBeyondCountStayInTheQueue() {
        String q = unique("q");
        run("publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--body", "1", "--count", "5");
        assertThat(run("consume", "--queue", q, "--count", "2", "--prefetch", "10").outLines()).hasSize(2);
        assertThat(run("queues").outLines()).contains(q + "\t3");
        assertThat(run("consume", "--queue", q, "--count", "1", "--no-ack").status()).isZero();
        assertThat(run("queues").outLines()).contains(q + "\t2");
    }

    @Test
    void consumeWithExchangeDeclaresQueueAndBinding() throws Exception {
        String ex = unique("ex");
        String q = unique("q");
        CliRunner.Result first = run("consume", "--queue", q, "--exchange", ex, "--type", "fanout", "--timeout", "0");
        assertThat(first.status()).as(first.err()).isZero();
        assertThat(run("publish", "--exchange", ex, "--type", "fanout", "--routing-key", "anything", "--body", "[1]").status())
                .isZero();
        JsonNode m = consumeJson(q, 1).get(0);
        assertThat(m.get("body")).isEqualTo(M.readTree("[1]"));
        assertThat(m.get("delivery_info").get("routing_key").asText()).isEqualTo("anything");
    }

    @Test
    void undecodableMessageIsPrintedWithDecodeErrorAndLeftInTheQueue() throws Exception {
        String q = unique("q");
        try (Connection conn = Connection.open("memory://")) {
            conn.producer().publish("{broken".getBytes(StandardCharsets.UTF_8), PublishOptions.builder().routingKey(q)
                    .contentType("application/json", "utf-8").declare(org.kombu4j.Queue.of(q)).build());
        }
        CliRunner.Result r = run("consume", "--queue", q, "--count", "1", "--timeout", "2", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode m = M.readTree(r.outLines().get(0));
        assertThat(Base64.getDecoder().decode(m.get("body").asText())).isEqualTo("{broken".getBytes(StandardCharsets.UTF_8));
        assertThat(m.get("decode_error").asText()).isNotEmpty();
        assertThat(r.err()).contains("kombu4j: warning: cannot decode message").contains("left it in the queue");
        assertThat(run("queues").outLines()).contains(q + "\t1");
    }

    @Test
    void consumeMissingQueueExitsOne() {
        CliRunner.Result r = run("consume", "--queue", unique("missing"), "--timeout", "0.1");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("kombu4j: error: ").contains("not found");
    }

    @Test
    void urlIsAcceptedBeforeAndAfterTheSubcommand() {
        String q = unique("q");
        assertThat(run("--url", "memory://", "publish", "--exchange", "", "--routing-key", q, "--declare-queue", q, "--body", "1")
                .status()).isZero();
        assertThat(run("purge", "--queue", q, "--url", "memory://").out()).isEqualTo("purged 1 messages from queue '" + q + "'\n");
    }

    @Test
    void environmentUrlIsTheDefault() {
        CliRunner.Result r = runWith(Map.of("KOMBU4J_URL", "nosuch://host"), "", "queues");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("unknown transport scheme 'nosuch'");
        // --url wins over the environment.
        assertThat(runWith(Map.of("KOMBU4J_URL", "nosuch://host"), "", "--url", "memory://", "queues").status()).isZero();
    }
}
