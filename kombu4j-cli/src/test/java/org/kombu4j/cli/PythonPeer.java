package org.kombu4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.brokers.LocalRedis;
import org.kombu4j.testkit.python.PythonKombu;

/**
 * Python Kombu ({@code /usr/bin/python3}, Debian's python3-kombu) driven through
 * {@code interop/cli_peer.py}, and the brokers both sides share. A missing broker or Kombu skips
 * the test, except with {@code CI=true}, where it fails: a green CI run must have talked to both.
 */
final class PythonPeer {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private PythonPeer() {
    }

    /** The brokers of the interop tests, with the URL of a peer that is not there. */
    enum Broker {
        // Tests use Redis db 14 only and delete every key they made.
        REDIS(LocalRedis.PORT, "redis://127.0.0.1:6379/14", "redis://127.0.0.1:1/0"),
        // Its own virtual host, as the kombu4j-amqp tests (LocalRabbit.url()).
        AMQP(LocalRabbit.PORT, null, "amqp://guest:guest@127.0.0.1:1//");

        final int port;
        private final String fixedUrl;
        final String absentUrl;

        Broker(int port, String fixedUrl, String absentUrl) {
            this.port = port;
            this.fixedUrl = fixedUrl;
            this.absentUrl = absentUrl;
        }

        /** Checks the broker and Python Kombu are there (skip, or fail with CI=true) and returns the URL. */
        String require() {
            if (isRedis()) {
                LocalRedis.require();
            } else {
                LocalRabbit.requireBroker();
            }
            PythonKombu.requireModules("kombu", "redis", "amqp", "yaml", "msgpack");
            return isRedis() ? fixedUrl : LocalRabbit.url();
        }

        boolean isRedis() {
            return this == REDIS;
        }

        /** RabbitMQ lists queues through its management API (./run-tests enables the plugin): skip, or fail with CI=true. */
        void requireManagement() {
            LocalRabbit.requireManagement();
        }
    }

    /** Starts {@code cli_peer.py MODE URL SPEC}. */
    static Process start(String mode, String url, Object spec) {
        try {
            return PythonKombu.start(PythonKombu.script(PythonPeer.class, "/interop/cli_peer.py"), mode, url,
                    JSON.writeValueAsString(spec));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a started peer; returns its standard output, failing with its standard error if it failed. */
    static String finish(Process p, String mode) {
        return PythonKombu.finish(p, "cli_peer.py " + mode, TIMEOUT);
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
