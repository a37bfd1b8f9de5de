package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.testkit.python.PythonKombu;

/**
 * A consumer on one side dies (SIGKILL) holding unacknowledged messages; a consumer on the other side
 * restores them after the visibility timeout. Python Kombu 5.2's records and kombu4j's are the same,
 * so this works both ways. Private redis-server: the unacked keys are server-wide.
 */
class CrossLanguageRestoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path script() {
        return PythonKombu.script(CrossLanguageRestoreTest.class, "/interop/kombu_restore.py");
    }

    private static String awaitLine(Process p, String prefix) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        String line;
        while ((line = r.readLine()) != null && !line.startsWith(prefix)) {
            seen.add(line);
        }
        assertThat(line).as("output: %s", seen).isNotNull();
        return line;
    }

    @Test
    void pythonConsumerDiesAndKombu4jRestoresItsMessages() throws Exception {
        PythonKombu.requireModules("kombu", "redis");
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("");
            Queue q = Queue.of("xlang.py.dies");
            try (Connection p = Connection.open(url)) {
                for (int i = 0; i < 5; i++) {
                    p.producer().publish(i, PublishOptions.builder().routingKey(q.name()).declare(q).build());
                }
            }
            Process py = new ProcessBuilder(PythonKombu.PYTHON.toString(), script().toString(), "hold", url, q.name(), "5")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                assertThat(awaitLine(py, "HELD")).isEqualTo("HELD 5");
            } finally {
                py.destroyForcibly();
                py.waitFor(10, TimeUnit.SECONDS);
            }
            List<Object> got = new CopyOnWriteArrayList<>();
            try (Connection c = Connection.open(url + "?visibility_timeout=1&unacked_restore_interval=0.2")) {
                c.consumer(q).onMessage((body, m) -> {
                    if (m.isRedelivered()) {
                        got.add(body);
                    }
                    m.ack();
                }).consume();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (got.size() < 5 && System.nanoTime() < deadline) {
                    c.drainEvents(Duration.ofMillis(100));
                }
            }
            assertThat(got).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void kombu4jConsumerDiesAndPythonRestoresItsMessages() throws Exception {
        PythonKombu.requireModules("kombu", "redis");
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("");
            Queue q = Queue.of("xlang.java.dies");
            try (Connection p = Connection.open(url)) {
                for (int i = 0; i < 5; i++) {
                    p.producer().publish(i, PublishOptions.builder().routingKey(q.name()).declare(q).build());
                }
            }
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    HoldingChild.class.getName(), url, q.name(), "5").redirectErrorStream(true).start();
            try {
                assertThat(awaitLine(child, "HELD")).isEqualTo("HELD 5");
            } finally {
                child.destroyForcibly(); // SIGKILL: no close, no restore
                child.waitFor(10, TimeUnit.SECONDS);
            }
            Process py = new ProcessBuilder(PythonKombu.PYTHON.toString(), script().toString(), "take", url, q.name(), "5")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] out = py.getInputStream().readAllBytes();
            assertThat(py.waitFor(60, TimeUnit.SECONDS)).isTrue();
            List<Map<String, Object>> got = JSON.readValue(out, List.class);
            assertThat(got).extracting(m -> m.get("body")).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
            assertThat(got).allSatisfy(m -> assertThat(m.get("redelivered")).isEqualTo(true));
        }
    }
}
