package org.kombu4j.sql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/** What the SQL fault tests share: waiting, counting deliveries, and looking at the table directly. */
final class FaultSupport {
    private FaultSupport() {
    }

    /** Publish options to the default exchange's route to {@code q}, declaring it. */
    static PublishOptions to(Queue q) {
        return PublishOptions.builder().routingKey(q.name()).declare(q).build();
    }

    /** A test body run against a database URL. */
    @FunctionalInterface
    interface InDatabase {
        void run(String url) throws Exception;
    }

    /** Runs {@code body} on a database {@code create} made (see {@link TestDatabases}), dropping it afterwards. */
    static void inDatabase(java.util.function.Function<String, String> create, String prefix, InDatabase body) throws Exception {
        String url = create.apply(prefix);
        try {
            body.run(url);
        } finally {
            TestDatabases.drop(url);
        }
    }

    /** Waits up to {@code max} for {@code cond}; returns whether it held. */
    static boolean waitFor(Duration max, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * Consumes {@code queue} on a connection of its own (acking everything) until {@code done} holds for
     * what arrived, then {@code quiet} longer to catch late duplicates, or until {@code max} passed.
     *
     * @return how often each number arrived
     */
    static Map<Integer, Integer> drain(String url, Queue queue, Predicate<Map<Integer, Integer>> done, Duration max,
            Duration quiet) {
        Map<Integer, Integer> got = new ConcurrentHashMap<>();
        try (org.kombu4j.Connection c = org.kombu4j.Connection.open(url)) {
            c.consumer(queue).prefetch(100).onMessage((body, m) -> {
                got.merge(((Number) body).intValue(), 1, Integer::sum);
                m.ack();
            }).consume();
            long deadline = System.nanoTime() + max.toNanos();
            while (!done.test(got) && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(100));
            }
            long end = System.nanoTime() + quiet.toNanos();
            while (System.nanoTime() < end) {
                c.drainEvents(Duration.ofMillis(100));
            }
        }
        return got;
    }

    /** The numbers of {@code all} missing from {@code got}. */
    static Set<Integer> missing(Set<Integer> all, Map<Integer, Integer> got) {
        Set<Integer> m = new TreeSet<>(all);
        m.removeAll(got.keySet());
        return m;
    }

    /** How many deliveries beyond the first, over all numbers. */
    static int duplicates(Map<Integer, Integer> got) {
        return got.values().stream().mapToInt(n -> n - 1).sum();
    }

    /** The JDBC URL of a kombu4j SQL URL of the tests ({@code postgresql://user@host:port/db}, {@code sqlite:////path}). */
    static String jdbcUrl(String url) {
        String u = url.replaceAll("\\?.*", "");
        if (u.startsWith("sqlite:///")) {
            return "jdbc:sqlite:" + u.substring("sqlite:///".length());
        }
        if (u.startsWith("postgresql://")) {
            return "jdbc:postgresql://" + u.substring(u.indexOf('@') + 1);
        }
        throw new IllegalArgumentException("not a test URL: " + url);
    }

    /** Runs a query returning one number, straight on the database (user postgres where it matters). */
    static long queryLong(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl(url), "postgres", null);
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
