package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * A second RabbitMQ node of its own, for tests that kill and restart the broker (never the shared node on 5672):
 * node name {@code k4j<port>@localhost}, AMQP and distribution on free loopback ports, its own Mnesia, log,
 * configuration and (empty) plugins files in a temporary directory. It registers with the host's epmd like any
 * node (Erlang starts one if none runs) and uses the Erlang cookie of the user running the JVM. The node is
 * started from {@code /usr/lib/rabbitmq/bin/rabbitmq-server}, which runs as the calling user (the
 * {@code /usr/sbin} wrapper would switch to the {@code rabbitmq} user, who cannot write our directory).
 * Without rabbitmq-server the test is skipped, or fails with {@code CI=true}.
 *
 * <p>{@link #kill()} SIGKILLs the Erlang VM; {@link #start()} boots the node again on the same data, so durable
 * queues and their persistent, confirmed messages survive, as after a crash. A boot takes about 10 s here.
 */
public final class PrivateRabbit implements AutoCloseable {
    private static final long START_TIMEOUT_MILLIS = 90_000;

    private final int port;
    private final String nodeName;
    private final ServerProcess server;

    /** Creates the node's directory and boots it. */
    public PrivateRabbit() throws IOException, InterruptedException {
        this(null, true);
    }

    /**
     * A node whose Erlang cookie is {@code home/.erlang.cookie} ({@code HOME} is set to {@code home}) when home is
     * not null, so that the nodes of a {@link PrivateRabbitCluster} and its {@code rabbitmqctl} calls share a cookie
     * of their own; booted now if {@code start}.
     */
    PrivateRabbit(Path home, boolean start) throws IOException, InterruptedException {
        Path launcher = launcher("rabbitmq-server");
        port = ServerProcess.freePort();
        nodeName = "k4j" + port + "@localhost";
        int distPort = ServerProcess.freePort();
        Path dir = Files.createTempDirectory("kombu4j-rabbit-");
        Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
        Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
        Files.writeString(dir.resolve("advanced.config"), "[].\n");
        Files.writeString(dir.resolve("rabbitmq.conf"), String.join("\n",
                "listeners.tcp.1 = 127.0.0.1:" + port,
                "loopback_users = none",
                "disk_free_limit.absolute = 50MB",
                "log.file.level = warning",
                "log.console = false", ""));
        Map<String, String> env = new java.util.HashMap<>(Map.ofEntries(
                Map.entry("RABBITMQ_NODENAME", nodeName),
                Map.entry("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"),
                Map.entry("RABBITMQ_NODE_PORT", Integer.toString(port)),
                Map.entry("RABBITMQ_DIST_PORT", Integer.toString(distPort)),
                Map.entry("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString()),
                Map.entry("RABBITMQ_LOG_BASE", dir.resolve("log").toString()),
                Map.entry("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString()),
                Map.entry("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString()),
                Map.entry("RABBITMQ_ADVANCED_CONFIG_FILE", dir.resolve("advanced.config").toString()),
                Map.entry("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString()),
                Map.entry("RABBITMQ_PID_FILE", dir.resolve("rabbitmq.pid").toString())));
        if (home != null) {
            env.put("HOME", home.toString());
        }
        server = new ServerProcess("private RabbitMQ node " + nodeName, List.of(launcher.toString()), env, dir, port,
                START_TIMEOUT_MILLIS);
        if (start) {
            try {
                server.start();
            } catch (IOException | InterruptedException | RuntimeException e) {
                server.close();
                throw e;
            }
        }
    }

    /**
     * One of RabbitMQ's own scripts: {@code /usr/lib/rabbitmq/bin/NAME} runs as the calling user (the {@code /usr/sbin}
     * wrapper would switch to the {@code rabbitmq} user and its cookie); skips, or fails with {@code CI=true}, if absent.
     */
    static Path launcher(String name) {
        Path p = Path.of("/usr/lib/rabbitmq/bin/" + name);
        return Files.isExecutable(p) ? p : TestEnvironment.requireExecutable(name);
    }

    /** The Erlang node name, {@code k4j<port>@localhost}. */
    public String nodeName() {
        return nodeName;
    }

    /** Whether the node's process runs. */
    public boolean isAlive() {
        return server.isAlive();
    }

    /** The AMQP port on 127.0.0.1, stable across restarts. */
    public int port() {
        return port;
    }

    /** {@code amqp://guest:guest@127.0.0.1:PORT//} followed by {@code options} (e.g. {@code "?heartbeat=5"}). */
    public String url(String options) {
        return "amqp://guest:guest@127.0.0.1:" + port + "//" + options;
    }

    /** Boots the node again on the same data (after {@link #kill()}) and waits until it accepts AMQP connections. */
    public void start() throws IOException, InterruptedException {
        server.start();
    }

    /** SIGKILLs the node (the Erlang VM and its helpers): clients see their connections drop. */
    public void kill() throws InterruptedException {
        server.kill();
    }

    /** The end of the node's console output, for a failing test's message. */
    public String log() {
        return server.tail();
    }

    /** Kills the node and deletes its directory. */
    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
    }
}
