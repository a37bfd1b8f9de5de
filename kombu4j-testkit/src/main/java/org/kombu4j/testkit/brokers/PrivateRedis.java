package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.kombu4j.testkit.env.TestEnvironment;
import org.kombu4j.testkit.net.TestCertificates;

/**
 * A throwaway redis-server on a free loopback port, without persistence, that a test may kill and
 * restart (never the shared one). Without redis-server the test is skipped, or fails with {@code CI=true}.
 */
public final class PrivateRedis implements AutoCloseable {
    private static final long START_TIMEOUT_MILLIS = 10_000;

    private final int port;
    private final boolean tls;
    private final List<String> command;
    private Process process;

    /** Starts a plaintext server; {@code extraArgs} are more redis-server options, e.g. {@code "--requirepass", "pw"}. */
    public PrivateRedis(String... extraArgs) throws IOException, InterruptedException {
        this(Transport.PLAIN, List.of(extraArgs));
    }

    /**
     * Starts a server that speaks only TLS on {@link #port()}, presenting the certificate {@code cert} of
     * {@code certs} and trusting their CA; {@code authClients} is redis-server's {@code --tls-auth-clients}
     * (no, optional, yes). A redis-server built without TLS skips the test, or fails it with {@code CI=true}.
     */
    public static PrivateRedis tls(TestCertificates certs, String cert, String authClients)
            throws IOException, InterruptedException {
        try {
            return new PrivateRedis(Transport.TLS, List.of("--tls-cert-file", certs.file(cert + ".crt").toString(),
                    "--tls-key-file", certs.file(cert + ".key").toString(),
                    "--tls-ca-cert-file", certs.file("ca.crt").toString(), "--tls-auth-clients", authClients));
        } catch (IOException e) {
            throw TestEnvironment.unavailable("redis-server did not start with TLS (built without TLS support?): "
                    + e.getMessage());
        }
    }

    private enum Transport { PLAIN, TLS }

    private PrivateRedis(Transport transport, List<String> extraArgs) throws IOException, InterruptedException {
        Path server = TestEnvironment.requireExecutable("redis-server");
        this.tls = transport == Transport.TLS;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(server.toString()));
        cmd.addAll(tls ? List.of("--port", "0", "--tls-port", Integer.toString(port))
                : List.of("--port", Integer.toString(port)));
        cmd.addAll(List.of("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--loglevel", "warning"));
        cmd.addAll(extraArgs);
        this.command = List.copyOf(cmd);
        start();
    }

    /** The port it listens on (the TLS port for {@link #tls}). */
    public int port() {
        return port;
    }

    /** (Re)starts the server on the same port and waits until it accepts connections. */
    public void start() throws IOException, InterruptedException {
        process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long waited = 0;
        while (waited < START_TIMEOUT_MILLIS) {
            if (TestEnvironment.listening("127.0.0.1", port, 200)) {
                return;
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(20);
            waited += 20;
        }
        process.destroyForcibly();
        throw new IOException("private redis-server did not start on port " + port + ": " + String.join(" ", command));
    }

    /** Kills the server at once (SIGKILL): clients see their connections drop. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The kombu4j URL of database 0 ({@code rediss://} for TLS) followed by {@code options} (e.g. {@code "?x=1"}). */
    public String url(String options) {
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port + "/0" + options;
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
