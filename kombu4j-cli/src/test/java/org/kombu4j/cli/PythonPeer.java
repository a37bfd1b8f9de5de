package org.kombu4j.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Python Kombu 5.2 ({@code /usr/bin/python3}, Debian's python3-kombu) driven through
 * {@code interop/cli_peer.py}, and the brokers both sides share. A missing broker or Kombu skips
 * the test, except with {@code CI=true}, where it fails: a green CI run must have talked to both.
 */
final class PythonPeer {
    static final String PYTHON = "/usr/bin/python3";
    static final ObjectMapper JSON = new ObjectMapper();
    private static Path script;
    private static Boolean kombuOk;
    private static Boolean vhostOk;

    private PythonPeer() {
    }

    /** The brokers of the interop tests, with the URL of a peer that is not there. */
    enum Broker {
        // Tests use Redis db 14 only and delete every key they made.
        REDIS("127.0.0.1", 6379, "redis://127.0.0.1:6379/14", "redis://127.0.0.1:1/0"),
        // Its own virtual host, as the kombu4j-amqp tests, made with rabbitmqctl (falls back to "/").
        AMQP("127.0.0.1", 5672, null, "amqp://guest:guest@127.0.0.1:1//");

        final String host;
        final int port;
        private final String fixedUrl;
        final String absentUrl;

        Broker(String host, int port, String fixedUrl, String absentUrl) {
            this.host = host;
            this.port = port;
            this.fixedUrl = fixedUrl;
            this.absentUrl = absentUrl;
        }

        /** Checks the broker and Python Kombu are there (skip, or fail with CI=true) and returns the URL. */
        String require() {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
            } catch (IOException e) {
                unavailable(name() + " is not reachable at " + host + ":" + port + ": " + e.getMessage());
            }
            requireKombu();
            if (fixedUrl != null) {
                return fixedUrl;
            }
            return "amqp://guest:guest@" + host + ":" + port + "/" + (amqpVhost() ? "kombu4j-test" : "/");
        }

        boolean isRedis() {
            return this == REDIS;
        }

        /** RabbitMQ lists queues through its management API (.ci/run enables the plugin): skip, or fail with CI=true. */
        void requireManagement() {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, 15672), 1000);
            } catch (IOException e) {
                unavailable("the RabbitMQ management API is not reachable at " + host + ":15672 (rabbitmq-plugins enable"
                        + " rabbitmq_management): " + e.getMessage());
            }
        }
    }

    static void unavailable(String why) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(why + " (CI=true: this test must not be skipped)");
        }
        Assumptions.abort(why);
    }

    private static synchronized void requireKombu() {
        if (kombuOk == null) {
            try {
                Process p = new ProcessBuilder(PYTHON, "-c", "import kombu, redis, amqp, yaml, msgpack")
                        .redirectErrorStream(true).start();
                kombuOk = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                kombuOk = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kombuOk = false;
            }
        }
        if (!kombuOk) {
            unavailable("Python Kombu is not importable with " + PYTHON
                    + " (apt-get install python3-kombu python3-redis python3-yaml python3-msgpack)");
        }
    }

    private static synchronized boolean amqpVhost() {
        if (vhostOk == null) {
            vhostOk = rabbitmqctl("add_vhost", "kombu4j-test") && rabbitmqctl("set_permissions", "-p", "kombu4j-test", "guest",
                    ".*", ".*", ".*");
        }
        return vhostOk;
    }

    private static boolean rabbitmqctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("rabbitmqctl"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0 || out.contains("already exists");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static synchronized Path script() {
        if (script == null) {
            try (InputStream in = PythonPeer.class.getResourceAsStream("/interop/cli_peer.py")) {
                Path tmp = Files.createTempFile("cli_peer", ".py");
                Files.write(tmp, in.readAllBytes());
                tmp.toFile().deleteOnExit();
                script = tmp;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return script;
    }

    /** Starts {@code cli_peer.py MODE URL SPEC}. */
    static Process start(String mode, String url, Object spec) {
        try {
            return new ProcessBuilder(PYTHON, script().toString(), mode, url, JSON.writeValueAsString(spec)).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a started peer; returns its standard output, failing with its standard error if it failed. */
    static String finish(Process p, String mode) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException ignored) {
                // The process is gone.
            }
        });
        drain.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("cli_peer.py " + mode + " timed out");
            }
            drain.join(5000);
            if (p.exitValue() != 0) {
                throw new AssertionError("cli_peer.py " + mode + " failed (" + p.exitValue() + "):\n"
                        + err.toString(StandardCharsets.UTF_8) + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static String run(String mode, String url, Object spec) {
        return finish(start(mode, url, spec), mode);
    }

    /** Runs {@code consume}: the messages Python Kombu received, in delivery order. */
    static List<Map<String, Object>> consume(String url, Object spec) {
        return parseList(run("consume", url, spec));
    }

    static List<Map<String, Object>> parseList(String out) {
        try {
            return JSON.readValue(out, new TypeReference<List<Map<String, Object>>>() { });
        } catch (IOException e) {
            throw new AssertionError("not a JSON list: " + out, e);
        }
    }

    static Map<String, Object> parseObject(String line) {
        try {
            return JSON.readValue(line, new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new AssertionError("not one JSON object: " + line, e);
        }
    }
}
