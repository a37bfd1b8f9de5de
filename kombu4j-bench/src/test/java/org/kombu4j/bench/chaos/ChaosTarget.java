package org.kombu4j.bench.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.kombu4j.testkit.brokers.PrivateMariaDb;
import org.kombu4j.testkit.brokers.PrivatePostgres;
import org.kombu4j.testkit.brokers.PrivateRabbit;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.testkit.net.FaultProxy;

/**
 * The private broker of one chaos run and the {@link FaultProxy} its clients connect through. Every server is
 * set up so that what it acknowledged survives a SIGKILL of the server (Redis: AOF with {@code appendfsync
 * always}; PostgreSQL: {@code synchronous_commit=on}; MariaDB: the log written at each commit; RabbitMQ:
 * durable queue, persistent messages, publisher confirms), so a loss is the library's, not the test server's.
 */
abstract class ChaosTarget implements AutoCloseable {
    /** The transports the suite knows, in the order it runs them. */
    static final java.util.List<String> TRANSPORTS = java.util.List.of("redis", "rabbitmq", "postgresql", "mariadb",
            "sqlite");

    /** The lease / visibility timeout of the Redis and SQL runs: short, so that redeliveries come back quickly. */
    static final int LEASE_SECONDS = 3;

    private FaultProxy proxy;

    /** The private broker of {@code transport}, started, with a proxy in front of it where it has a server. */
    static ChaosTarget start(String transport) throws IOException, InterruptedException, SQLException {
        ChaosTarget t = switch (transport) {
            case "redis" -> new Redis();
            case "rabbitmq" -> new Rabbit();
            case "postgresql" -> new Postgres();
            case "mariadb" -> new MariaDb();
            case "sqlite" -> new Sqlite();
            default -> throw new IllegalArgumentException("unknown transport '" + transport + "': expected one of "
                    + TRANSPORTS);
        };
        try {
            if (t.brokerPort() > 0) {
                t.proxy = FaultProxy.plain("127.0.0.1", t.brokerPort());
            }
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    abstract String name();

    /** The broker's own port, or 0 without a server (SQLite). */
    abstract int brokerPort();

    /** The URL of the clients, given the port they connect to (the proxy's). */
    abstract String url(int port);

    /** The URL clients use: through the proxy. */
    final String url() {
        return url(proxy == null ? 0 : proxy.port());
    }

    /** Whether {@link #restart} and {@link #cut} mean anything: false without a server. */
    boolean hasServer() {
        return proxy != null;
    }

    /** The lease / visibility timeout in seconds, or 0 where the broker redelivers on connection loss. */
    int leaseSeconds() {
        return LEASE_SECONDS;
    }

    /** SIGKILLs the broker and starts it again on the same data. */
    abstract void restart() throws IOException, InterruptedException;

    /** Drops every client connection (RST), as a network fault would. */
    final void cut() {
        if (proxy != null) {
            proxy.cutAll();
        }
    }

    /** Stops the proxy and the broker and deletes the broker's files. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
        closeBroker();
    }

    abstract void closeBroker() throws IOException, InterruptedException;

    /** What the broker holds, for a run that lost messages (empty where there is nothing to say). */
    String diagnose() {
        return "";
    }

    /** Runs a command and returns its output, for {@link #diagnose()}. */
    static String output(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            return out.trim().replace('\n', ' ');
        } catch (IOException e) {
            return "(" + String.join(" ", command) + ": " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private static final class Redis extends ChaosTarget {
        private final Path dir;
        private final PrivateRedis redis;

        Redis() throws IOException, InterruptedException {
            dir = Files.createTempDirectory("kombu4j-chaos-redis-");
            try {
                redis = new PrivateRedis("--appendonly", "yes", "--appendfsync", "always", "--dir", dir.toString());
            } catch (IOException | InterruptedException | RuntimeException e) {
                deleteTree(dir);
                throw e;
            }
        }

        @Override
        String name() {
            return "redis";
        }

        @Override
        int brokerPort() {
            return redis.port();
        }

        @Override
        String url(int port) {
            return "redis://127.0.0.1:" + port + "/0?visibility_timeout=" + LEASE_SECONDS
                    + "&unacked_restore_interval=0.5";
        }

        @Override
        String diagnose() {
            String port = Integer.toString(redis.port());
            return "redis keys: " + output("redis-cli", "-p", port, "--no-raw", "KEYS", "*") + "; unacked: "
                    + output("redis-cli", "-p", port, "HLEN", "unacked") + "; unacked_index: "
                    + output("redis-cli", "-p", port, "ZCARD", "unacked_index") + "; unacked_mutex ttl ms: "
                    + output("redis-cli", "-p", port, "PTTL", "unacked_mutex");
        }

        @Override
        void restart() throws IOException, InterruptedException {
            redis.kill();
            Thread.sleep(300);
            redis.start();
        }

        @Override
        void closeBroker() throws IOException, InterruptedException {
            try {
                redis.close();
            } finally {
                deleteTree(dir);
            }
        }
    }

    private static final class Rabbit extends ChaosTarget {
        private final PrivateRabbit rabbit = new PrivateRabbit();

        Rabbit() throws IOException, InterruptedException {
        }

        @Override
        String name() {
            return "rabbitmq";
        }

        @Override
        int brokerPort() {
            return rabbit.port();
        }

        @Override
        String url(int port) {
            return "amqp://guest:guest@127.0.0.1:" + port + "//?heartbeat=10";
        }

        @Override
        int leaseSeconds() {
            return 0;
        }

        @Override
        void restart() throws IOException, InterruptedException {
            rabbit.kill();
            rabbit.start();
        }

        @Override
        void closeBroker() throws IOException, InterruptedException {
            rabbit.close();
        }
    }

    private static final class Postgres extends ChaosTarget {
        private final PrivatePostgres pg;

        Postgres() throws IOException, InterruptedException {
            pg = PrivatePostgres.builder().setting("synchronous_commit", "on").start();
            try {
                pg.createDatabase("chaos");
            } catch (IOException | InterruptedException | RuntimeException e) {
                pg.close();
                throw e;
            }
        }

        @Override
        String name() {
            return "postgresql";
        }

        @Override
        int brokerPort() {
            return pg.port();
        }

        @Override
        String url(int port) {
            return "postgresql://postgres@127.0.0.1:" + port + "/chaos?visibility_timeout=" + LEASE_SECONDS;
        }

        @Override
        void restart() throws IOException, InterruptedException {
            pg.kill();
            pg.restart();
        }

        @Override
        void closeBroker() throws IOException {
            pg.close();
        }
    }

    private static final class MariaDb extends ChaosTarget {
        private final PrivateMariaDb db;

        MariaDb() throws IOException, InterruptedException, SQLException {
            db = new PrivateMariaDb();
            try (java.sql.Connection c = DriverManager.getConnection(db.jdbcUrl()); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE chaos");
            } catch (SQLException | RuntimeException e) {
                db.close();
                throw e;
            }
        }

        @Override
        String name() {
            return "mariadb";
        }

        @Override
        int brokerPort() {
            return db.port();
        }

        @Override
        String url(int port) {
            return "mysql://root@127.0.0.1:" + port + "/chaos?visibility_timeout=" + LEASE_SECONDS;
        }

        @Override
        void restart() throws IOException, InterruptedException {
            db.kill();
            db.start();
        }

        @Override
        void closeBroker() throws IOException, InterruptedException {
            db.close();
        }
    }

    /** No server: nothing to restart or cut; the faults are the consumer kills. */
    private static final class Sqlite extends ChaosTarget {
        private final Path dir = Files.createTempDirectory("kombu4j-chaos-sqlite-");

        Sqlite() throws IOException {
        }

        @Override
        String name() {
            return "sqlite";
        }

        @Override
        int brokerPort() {
            return 0;
        }

        @Override
        String url(int port) {
            return "sqlite:///" + dir.resolve("chaos.db") + "?visibility_timeout=" + LEASE_SECONDS;
        }

        @Override
        void restart() {
            throw new UnsupportedOperationException("SQLite has no server to restart");
        }

        @Override
        void closeBroker() throws IOException {
            deleteTree(dir);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
