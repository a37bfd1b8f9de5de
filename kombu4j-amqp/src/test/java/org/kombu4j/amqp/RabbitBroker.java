package org.kombu4j.amqp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The local RabbitMQ the tests run against: reachable at 127.0.0.1:5672, with a virtual host of our
 * own made by {@code rabbitmqctl} so as not to disturb others (falling back to {@code /}).
 * Unreachable: the test is skipped, or fails when {@code CI=true}.
 */
final class RabbitBroker {
    static final String HOST = "127.0.0.1";
    static final int PORT = 5672;
    static final String VHOST = "kombu4j-test";
    /** The management plugin's HTTP port ({@code rabbitmq-plugins enable rabbitmq_management}). */
    static final int MANAGEMENT_PORT = 15672;

    private static volatile String vhost;

    private RabbitBroker() {
    }

    /** Checks the broker is up (skipping or failing the test if not) and returns the URL to use. */
    static synchronized String url() {
        requireBroker();
        if (vhost == null) {
            vhost = prepareVhost() ? VHOST : "";
        }
        // amqp://host:port//  is vhost "/" in Kombu's convention.
        return "amqp://guest:guest@" + HOST + ":" + PORT + "/" + (vhost.isEmpty() ? "/" : vhost);
    }

    static void requireBroker() {
        require(PORT, "RabbitMQ");
    }

    /** Checks the management API answers (.ci/run enables the plugin), skipping or failing the test if not. */
    static void requireManagement() {
        require(MANAGEMENT_PORT, "the RabbitMQ management API (rabbitmq-plugins enable rabbitmq_management)");
    }

    private static void require(int port, String what) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 1000);
        } catch (IOException e) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(what + " is not reachable at " + HOST + ":" + port + " and CI=true", e);
            }
            Assumptions.abort(what + " is not reachable at " + HOST + ":" + port + ": " + e.getMessage());
        }
    }

    private static boolean prepareVhost() {
        return rabbitmqctl("add_vhost", VHOST) != null
                && rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*") != null;
    }

    /** Runs rabbitmqctl; returns its output, or null if it failed (vhost already there counts as success). */
    static String rabbitmqctl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("rabbitmqctl");
        cmd.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0 && !out.contains("already exists")) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
