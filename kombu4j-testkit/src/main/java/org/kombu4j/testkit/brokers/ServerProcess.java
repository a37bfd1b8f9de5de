package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * One server process of a private broker that runs in the foreground: started with its own environment and a log
 * file in the broker's directory, waited for until its port accepts connections, killed with its whole process
 * tree. A shutdown hook kills it and deletes the directory if the JVM exits without {@link #close()}.
 */
final class ServerProcess implements AutoCloseable {
    private final String what;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path dir;
    private final Path log;
    private final int port;
    private final long startTimeoutMillis;
    private final Thread cleanupHook;
    private Process process;
    private boolean closed;

    ServerProcess(String what, List<String> command, Map<String, String> environment, Path dir, int port,
            long startTimeoutMillis) {
        this.what = what;
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.dir = dir;
        this.log = dir.resolve("server.log");
        this.port = port;
        this.startTimeoutMillis = startTimeoutMillis;
        this.cleanupHook = new Thread(this::emergencyCleanup, "private-" + port + "-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
    }

    /** A port nothing listens on now, on 127.0.0.1. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts the server (it must not run) and waits until its port accepts connections. */
    void start() throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException(what + " on port " + port + " is closed");
        }
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(what + " on port " + port + " is running");
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(environment);
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startTimeoutMillis);
        while (System.nanoTime() < deadline) {
            if (TestEnvironment.listening("127.0.0.1", port, 200)) {
                return;
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        kill();
        throw new IOException(what + " did not start on port " + port + " within " + startTimeoutMillis + " ms: "
                + String.join(" ", command) + "\n" + tail());
    }

    /** SIGKILLs the server and every process it started, and waits until they are gone. */
    void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = process.toHandle().descendants().toList();
        process.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
        process.waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // gone or unkillable: nothing more to do
            }
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The end of the server's log, for error messages. */
    String tail() {
        try {
            if (!Files.exists(log)) {
                return "";
            }
            String s = Files.readString(log);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** Kills the server and deletes its directory. Idempotent. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        kill();
        deleteRecursively(dir);
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or has run
        }
    }

    private void emergencyCleanup() {
        try {
            kill();
            deleteRecursively(dir);
        } catch (IOException | InterruptedException | RuntimeException ignored) {
            // best effort while the JVM exits
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                for (Path child : children) {
                    deleteRecursively(child);
                }
            }
        }
        Files.deleteIfExists(path);
    }
}
