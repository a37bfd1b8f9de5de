package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * The local RabbitMQ the tests run against at 127.0.0.1:5672 (guest/guest), with a virtual host of our
 * own made by {@code rabbitmqctl} so as not to disturb others (falling back to {@code /}), and faults
 * injected through {@code rabbitmqctl}. Unreachable: the test is skipped, or fails with {@code CI=true}.
 */
public final class LocalRabbit {
    /** Where the broker listens. */
    public static final String HOST = "127.0.0.1";
    /** Its AMQP port. */
    public static final int PORT = 5672;
    /** The tests' virtual host. */
    public static final String VHOST = "kombu4j-test";
    /** The management plugin's HTTP port ({@code rabbitmq-plugins enable rabbitmq_management}). */
    public static final int MANAGEMENT_PORT = 15672;

    private static String vhost;

    private LocalRabbit() {
    }

    /** Checks the broker is up (skipping or failing the test if not) and returns the kombu4j URL of our vhost. */
    public static synchronized String url() {
        requireBroker();
        if (vhost == null) {
            vhost = prepareVhost() ? VHOST : "";
        }
        // amqp://host:port//  is vhost "/" in Kombu's convention.
        return "amqp://guest:guest@" + HOST + ":" + PORT + "/" + (vhost.isEmpty() ? "/" : vhost);
    }

    /** Skips the test (fails it with {@code CI=true}) unless RabbitMQ is reachable. */
    public static void requireBroker() {
        TestEnvironment.requireListening("RabbitMQ", HOST, PORT);
    }

    /** Skips the test (fails it with {@code CI=true}) unless the management API answers ({@code ./run-tests} enables it). */
    public static void requireManagement() {
        TestEnvironment.requireListening("the RabbitMQ management API (rabbitmq-plugins enable rabbitmq_management)",
                HOST, MANAGEMENT_PORT);
    }

    private static boolean prepareVhost() {
        return rabbitmqctl("add_vhost", VHOST) != null
                && rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*") != null;
    }

    /** Runs rabbitmqctl; returns its output, or null if it failed ("already exists" counts as success). */
    public static String rabbitmqctl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("rabbitmqctl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
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

    /**
     * Deletes the queues of the test vhost whose names start with {@code prefix}, e.g. the last-hop queues
     * ({@code kombu4j.delayed.}) that delayed publishes leave behind.
     */
    public static void deleteQueuesStartingWith(String prefix) {
        String list = rabbitmqctl("list_queues", "-q", "-p", VHOST, "name");
        if (list == null) {
            return;
        }
        for (String line : list.split("\n")) {
            String name = line.trim();
            if (name.startsWith(prefix)) {
                rabbitmqctl("delete_queue", "-p", VHOST, name);
            }
        }
    }

    /** Force-closes the broker side of the connection named {@code name} (client property connection_name). */
    public static void closeConnection(String name) {
        String list = rabbitmqctl("list_connections", "-q", "pid", "client_properties");
        if (list == null) {
            throw new AssertionError("rabbitmqctl list_connections failed");
        }
        for (String line : list.split("\n")) {
            if (line.contains(name)) {
                String pid = line.trim().split("\\s+")[0];
                if (rabbitmqctl("close_connection", pid, "kombu4j fault test") == null) {
                    throw new AssertionError("rabbitmqctl close_connection " + pid + " failed");
                }
                return;
            }
        }
        throw new AssertionError("no broker connection named " + name + " in:\n" + list);
    }
}
