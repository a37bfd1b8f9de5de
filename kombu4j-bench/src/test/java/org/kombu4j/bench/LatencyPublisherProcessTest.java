package org.kombu4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** latency with the publisher in another JVM, on the real Redis (db 10, keys bench.k4j.*), which needs no SQL transport. */
class LatencyPublisherProcessTest {
    @Test
    void aPublisherProcessDeliversEveryMessageAndLeavesNoScratchQueue() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Bench.run(new String[] {"latency", "--url", "redis://127.0.0.1:6379/10", "--no-peers",
                "--publisher-process", "--rate", "100", "--seconds", "1", "--queues", "2"}, o, e);
        }
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(stderr).isZero();
        JsonNode line = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.startsWith("{")).findFirst().orElseThrow());
        assertThat(line.get("publisher").asText()).isEqualTo("process");
        assertThat(line.get("received").asInt()).isEqualTo(100);
        assertThat(line.get("missing").asInt()).isZero();
        assertThat(line.get("errors").asInt()).as(line.toString()).isZero();
        assertThat(stderr).contains("publisher process ready");
        // The child's scratch queue (<prefix>.warm) is gone: no key of this run mentions it.
        String prefix = stderr.replaceAll("(?s).*kombu4j latency #1 on (bench\\.k4j\\.[0-9a-f]+)\\..*", "$1");
        assertThat(prefix).startsWith("bench.k4j.");
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create("redis://127.0.0.1:6379/10");
        try (var conn = client.connect()) {
            assertThat(conn.sync().keys("*" + prefix + "*")).isEmpty();
        } finally {
            client.shutdown();
        }
    }
}
