package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * A throwaway MariaDB server (never the shared one on 3306): {@code mariadb-install-db} makes a data directory in
 * a temporary directory, {@code mariadbd} serves it on a free port of 127.0.0.1 with its own socket, pid file and
 * no binary log. {@code root} has no password (over TCP too). Commits reach the operating system before they are
 * acknowledged ({@code innodb_flush_log_at_trx_commit=2}): a killed server loses nothing it acknowledged, only a
 * crash of the machine could. Without mariadbd the test is skipped, or fails with {@code CI=true}.
 */
public final class PrivateMariaDb implements AutoCloseable {
    private static final long START_TIMEOUT_MILLIS = 60_000;

    private final int port;
    private final ServerProcess server;

    /** Creates the data directory and starts the server. */
    public PrivateMariaDb() throws IOException, InterruptedException {
        Path daemon = TestEnvironment.executable("mariadbd")
                .orElseGet(() -> TestEnvironment.requireExecutable("mysqld"));
        Path installDb = TestEnvironment.executable("mariadb-install-db")
                .orElseGet(() -> TestEnvironment.requireExecutable("mysql_install_db"));
        port = ServerProcess.freePort();
        Path dir = Files.createTempDirectory("kombu4j-mariadb-");
        Path data = dir.resolve("data");
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> common = new ArrayList<>(List.of("--no-defaults", "--datadir=" + data));
        if (root) {
            common.add("--user=root");
        }
        List<String> install = new ArrayList<>(List.of(installDb.toString()));
        install.addAll(common);
        install.addAll(List.of("--auth-root-authentication-method=normal", "--skip-test-db"));
        run(install, dir);
        List<String> cmd = new ArrayList<>(List.of(daemon.toString()));
        cmd.addAll(common);
        cmd.addAll(List.of("--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("mysqld.sock"),
                "--pid-file=" + dir.resolve("mysqld.pid"), "--skip-log-bin", "--innodb-buffer-pool-size=64M",
                "--innodb-flush-log-at-trx-commit=2", "--max-connections=100", "--skip-name-resolve"));
        server = new ServerProcess("private MariaDB", cmd, Map.of(), dir, port, START_TIMEOUT_MILLIS);
        try {
            server.start();
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static void run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        if (p.exitValue() != 0) {
            throw new IOException("`" + String.join(" ", command) + "` exited with " + p.exitValue() + ":\n" + out);
        }
    }

    /** The TCP port on 127.0.0.1, stable across restarts. */
    public int port() {
        return port;
    }

    /** {@code mysql://root@127.0.0.1:PORT/DATABASE}; the database must exist (see {@link #jdbcUrl}). */
    public String url(String database) {
        return "mysql://root@127.0.0.1:" + port + "/" + database;
    }

    /** The JDBC URL of the server, without a database, for creating one. */
    public String jdbcUrl() {
        return "jdbc:mariadb://127.0.0.1:" + port + "/?user=root";
    }

    /** Starts the server again on the same data (after {@link #kill()}: InnoDB recovers first). */
    public void start() throws IOException, InterruptedException {
        server.start();
    }

    /** SIGKILLs the server: clients see their connections drop, InnoDB recovers at the next start. */
    public void kill() throws InterruptedException {
        server.kill();
    }

    /** The end of the server's log, for a failing test's message. */
    public String log() {
        return server.tail();
    }

    /** Kills the server and deletes its directory. */
    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
    }
}
