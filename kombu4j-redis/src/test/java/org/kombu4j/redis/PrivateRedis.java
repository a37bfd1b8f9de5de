package org.kombu4j.redis;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;

/** A throwaway redis-server on a free port, without persistence, that tests may kill (never the shared one). */
final class PrivateRedis implements AutoCloseable {
    final int port;
    private final List<String> extraArgs;
    private final boolean tls;
    private Process process;

    PrivateRedis(String... extraArgs) throws IOException, InterruptedException {
        this(false, extraArgs);
    }

    /**
     * With {@code tls}, {@link #port} is the TLS port ({@code --tls-port}) and the plaintext port is
     * off; {@code extraArgs} must then name the certificate files ({@code --tls-cert-file} etc.).
     */
    PrivateRedis(boolean tls, String... extraArgs) throws IOException, InterruptedException {
        this.tls = tls;
        this.extraArgs = List.of(extraArgs);
        if (!new File("/usr/bin/redis-server").canExecute()) {
            String msg = "redis-server is not installed";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(msg);
            }
            Assumptions.abort(msg);
        }
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        start();
    }

    void start() throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/redis-server"));
        cmd.addAll(tls ? List.of("--port", "0", "--tls-port", Integer.toString(port))
                : List.of("--port", Integer.toString(port)));
        cmd.addAll(List.of("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"));
        cmd.addAll(extraArgs);
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IOException("private redis-server did not start on port " + port);
    }

    /** Kills the server at once (SIGKILL): clients see their connections drop. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    String url(String options) {
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port + "/0" + options;
    }

    /** A plain RESP2 connection to database 0, for a test to look at or change what the transport wrote. */
    RedisConnection admin() {
        return RedisConnection.open(new RedisEndpoint("127.0.0.1", port, null, null, 0, Duration.ofSeconds(2),
                Duration.ofSeconds(5)), false, null);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
