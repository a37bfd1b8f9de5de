package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * A throwaway PostgreSQL cluster in a fresh temporary directory, listening on a free port of 127.0.0.1 only,
 * for tests that stop, kill or restart the database (never the shared server on 5432). The {@code postgres}
 * user has no password and TCP connections are trusted, unless a password is given: then TCP connections must
 * authenticate with {@link HostAuth#SCRAM_SHA_256} (or the method chosen with {@link Builder#hostAuth}).
 *
 * <p>initdb and postgres refuse to run as root, so when the JVM runs as root they run as the {@code postgres}
 * OS user (through {@code runuser}) and the directory belongs to that user. The newest
 * {@code /usr/lib/postgresql/VERSION/bin} is used; without one the test is skipped, or fails with
 * {@code CI=true}. Durability is switched off ({@code fsync=off}): a test server only needs to be fast.
 *
 * <pre>{@code
 * try (PrivatePostgres pg = PrivatePostgres.start("secret")) {
 *     pg.createDatabase("t1");
 *     ... connect to pg.url("t1") ...
 *     pg.kill();      // clients see their connections drop
 *     pg.restart();   // same port, same data
 * }
 * }</pre>
 */
public final class PrivatePostgres implements AutoCloseable {
    private static final String OS_USER = "postgres";
    private static final int COMMAND_TIMEOUT_SECONDS = 60;

    /** How TCP connections authenticate (pg_hba.conf's method for {@code host} lines). */
    public enum HostAuth {
        /** No authentication. */
        TRUST("trust"),
        /** Cleartext password. */
        PASSWORD("password"),
        /** MD5 challenge; the password is stored MD5-hashed so that the server really asks for MD5. */
        MD5("md5"),
        /** SCRAM-SHA-256 (PostgreSQL's default). */
        SCRAM_SHA_256("scram-sha-256");

        private final String hbaMethod;

        HostAuth(String hbaMethod) {
            this.hbaMethod = hbaMethod;
        }
    }

    /** Options of a private server; {@link #start()} creates and starts it. */
    public static final class Builder {
        private String password;
        private HostAuth hostAuth;
        private final List<String> settings = new ArrayList<>();

        private Builder() {
        }

        /** The password of the {@code postgres} user (default: none, and TCP connections are trusted). */
        public Builder password(String password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** How TCP connections authenticate (default: SCRAM-SHA-256 with a password, trust without). */
        public Builder hostAuth(HostAuth hostAuth) {
            this.hostAuth = Objects.requireNonNull(hostAuth, "hostAuth");
            return this;
        }

        /**
         * A postgresql.conf setting after ours, which it overrides: e.g. {@code ("synchronous_commit", "on")} for a
         * test that kills the server and must not lose acknowledged commits (the default, off, may lose the last
         * fraction of a second of them in a crash).
         */
        public Builder setting(String name, String value) {
            if (!name.matches("[a-z_.]+")) {
                throw new IllegalArgumentException("not a setting name: " + name);
            }
            settings.add(name + " = '" + value.replace("'", "''") + "'");
            return this;
        }

        /** Creates the cluster in a new temporary directory and starts it. */
        public PrivatePostgres start() throws IOException, InterruptedException {
            HostAuth auth = hostAuth != null ? hostAuth : password != null ? HostAuth.SCRAM_SHA_256 : HostAuth.TRUST;
            if (auth != HostAuth.TRUST && password == null) {
                throw new IllegalArgumentException("host authentication " + auth + " needs a password");
            }
            return new PrivatePostgres(password, auth, settings);
        }
    }

    private final Path binDir;
    private final Path dir;
    private final Path dataDir;
    private final int port;
    private final String password;
    private final boolean asPostgresUser;
    private final Thread cleanupHook;
    private boolean running;
    private boolean closed;

    /** A new cluster without password, trusting every connection, started. */
    public static PrivatePostgres start() throws IOException, InterruptedException {
        return builder().start();
    }

    /** A new cluster whose {@code postgres} user has {@code password}, required (SCRAM-SHA-256) over TCP, started. */
    public static PrivatePostgres start(String password) throws IOException, InterruptedException {
        return builder().password(password).start();
    }

    /** Options for a cluster with another authentication method. */
    public static Builder builder() {
        return new Builder();
    }

    private PrivatePostgres(String password, HostAuth hostAuth, List<String> settings) throws IOException, InterruptedException {
        this.binDir = newestBinDir();
        this.password = password;
        this.asPostgresUser = "root".equals(System.getProperty("user.name"));
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        dir = Files.createTempDirectory("kombu4j-pg-");
        dataDir = dir.resolve("data");
        cleanupHook = new Thread(this::emergencyCleanup, "private-postgres-" + port + "-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
        try {
            if (asPostgresUser) {
                chownToPostgres(dir);
            }
            run(null, binDir.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", OS_USER,
                    "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");
            // Our own settings override initdb's: appended lines win in postgresql.conf.
            Files.writeString(dataDir.resolve("postgresql.conf"), String.join("\n",
                    "", "# kombu4j PrivatePostgres",
                    "listen_addresses = '127.0.0.1'",
                    "port = " + port,
                    "unix_socket_directories = '" + dir + "'",
                    "fsync = off", "synchronous_commit = off", "full_page_writes = off",
                    "max_connections = 50", "shared_buffers = 16MB",
                    "password_encryption = '" + (hostAuth == HostAuth.MD5 ? "md5" : "scram-sha-256") + "'",
                    "log_min_messages = warning", String.join("\n", settings), ""),
                    java.nio.file.StandardOpenOption.APPEND);
            Files.writeString(dataDir.resolve("pg_hba.conf"), String.join("\n",
                    "# kombu4j PrivatePostgres: the unix socket (in a private directory) is trusted",
                    "local all all trust",
                    "host all all 127.0.0.1/32 " + hostAuth.hbaMethod, ""));
            restart();
            if (password != null) {
                psql("postgres", "ALTER USER " + OS_USER + " PASSWORD '" + password.replace("'", "''") + "'");
            }
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            try {
                close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The TCP port, on 127.0.0.1, stable across restarts. */
    public int port() {
        return port;
    }

    /** The address it listens on: {@code "127.0.0.1"}. */
    public String host() {
        return "127.0.0.1";
    }

    /** The password of the {@code postgres} user, or null. */
    public String password() {
        return password;
    }

    /** {@code postgresql://postgres[:password]@127.0.0.1:PORT/DATABASE}, the password and database percent-encoded. */
    public String url(String database) {
        return "postgresql://" + OS_USER + (password != null ? ":" + percentEncode(password) : "") + "@127.0.0.1:"
                + port + "/" + percentEncode(database);
    }

    private static String percentEncode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The JDBC URL of {@code database} (user and password are not in it). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates the database {@code name}, owned by {@code postgres}. */
    public void createDatabase(String name) throws IOException, InterruptedException {
        psql("postgres", "CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
    }

    /**
     * Runs {@code sql} in {@code database} as {@code postgres} through psql on the private unix socket and returns
     * what it printed (unaligned, tuples only: {@code SELECT 1, 2} prints {@code 1|2}).
     */
    public String psql(String database, String sql) throws IOException, InterruptedException {
        requireRunning();
        // The SQL goes through stdin, not the command line: it may hold a password.
        Path bundled = binDir.resolve("psql");
        String psql = Files.isExecutable(bundled) ? bundled.toString() : "psql";
        return run(sql, psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", dir.toString(),
                "-p", Integer.toString(port),
                "-U", OS_USER, "-d", database);
    }

    /**
     * Starts the server again on the same port and data after {@link #stop} or {@link #kill} (after a kill
     * PostgreSQL recovers from its WAL first) and waits until it accepts connections. Stops it first if it runs.
     */
    public void restart() throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException("private PostgreSQL on port " + port + " is closed");
        }
        if (running) {
            stop();
        }
        run(null, binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l",
                dir.resolve("server.log").toString(), "-w", "-t", "60", "start");
        running = true;
    }

    /** Fast shutdown: open transactions are rolled back and clients are disconnected, with an error message. */
    public void stop() throws IOException, InterruptedException {
        pgCtlStop("fast");
    }

    /**
     * Immediate shutdown: every server process quits at once, without a checkpoint, as in a crash; clients see
     * their connections drop.
     */
    public void kill() throws IOException, InterruptedException {
        pgCtlStop("immediate");
    }

    /** Whether the server was started and not stopped since. */
    public boolean isRunning() {
        return running;
    }

    /** The server's log so far (for a failing test's message). */
    public String log() throws IOException {
        Path log = dir.resolve("server.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /**
     * Stops the server (immediately) and deletes its directory. Idempotent. Interrupted, it still deletes the
     * directory and keeps the interrupt status; the shutdown hook then stops a server left running.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (running) {
            try {
                kill(); // on failure the shutdown hook tries again at exit
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        deleteRecursively(dir);
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or has run: nothing left to do
        }
    }

    private void pgCtlStop(String mode) throws IOException, InterruptedException {
        requireRunning();
        run(null, binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", mode, "-w", "-t", "60",
                "stop");
        running = false;
    }

    private void requireRunning() {
        if (!running) {
            throw new IllegalStateException("private PostgreSQL on port " + port + " is not running");
        }
    }

    /** A JVM that exits without close() must not leave a daemonized postgres behind. */
    private void emergencyCleanup() {
        try {
            if (running) {
                run(null, binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w",
                        "stop");
            }
            deleteRecursively(dir);
        } catch (IOException | InterruptedException | RuntimeException ignored) {
            // best effort while the JVM exits
        }
    }

    private String run(String stdin, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (asPostgresUser) {
            cmd.addAll(List.of(TestEnvironment.requireExecutable("runuser").toString(), "-u", OS_USER, "--"));
        }
        cmd.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().remove("PGPASSWORD");
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        // The output is small; reading it to the end also waits for the command (pg_ctl's children keep
        // only the log file open, not our pipe).
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command) + "\n" + output);
        }
        if (p.exitValue() != 0) {
            String log = "";
            try {
                log = log();
            } catch (IOException ignored) {
                // no log yet
            }
            throw new IOException("private PostgreSQL on port " + port + ": `" + String.join(" ", command)
                    + "` exited with " + p.exitValue() + ":\n" + output
                    + (log.isEmpty() ? "" : "\nserver log:\n" + log));
        }
        return output;
    }

    private static Path newestBinDir() {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                Path newest = versions
                        .filter(v -> v.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                        .filter(v -> Files.isExecutable(v.resolve("bin/initdb"))
                                && Files.isExecutable(v.resolve("bin/pg_ctl")))
                        .max(Comparator.comparingDouble(v -> Double.parseDouble(v.getFileName().toString())))
                        .orElse(null);
                if (newest != null) {
                    if (TestEnvironment.executable("psql").isEmpty()
                            && !Files.isExecutable(newest.resolve("bin/psql"))) {
                        throw TestEnvironment.unavailable("psql is not installed");
                    }
                    return newest.resolve("bin");
                }
            } catch (IOException e) {
                throw TestEnvironment.unavailable("cannot list " + root + ": " + e);
            }
        }
        throw TestEnvironment.unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed under "
                + root + "/VERSION/bin");
    }

    private static void chownToPostgres(Path path) throws IOException {
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user;
        try {
            user = lookup.lookupPrincipalByName(OS_USER);
        } catch (IOException e) {
            throw TestEnvironment.unavailable("the OS user " + OS_USER + " does not exist (needed to run "
                    + "PostgreSQL as root): " + e);
        }
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        view.setOwner(user);
        try {
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(OS_USER);
            view.setGroup(group);
        } catch (IOException noSuchGroup) {
            // the owner is what matters
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                for (Path child : children) {
                    deleteRecursively(child);
                }
            }
        }
        Files.deleteIfExists(path);
    }
}
