package org.kombu4j.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Removes what the Python peer leaves in a SQL database (its empty {@code kombu_queue} rows named {@code bench.*}),
 * and on a PostgreSQL server without autovacuum the dead rows earlier rounds left in kombu4j's message table.
 */
final class SqlPeerCleanup {
    private SqlPeerCleanup() {
    }

    /**
     * Deletes the {@code kombu_queue} rows of the bench-peers scripts' queues ({@code bench.q}, {@code bench.lat.q.*},
     * {@code bench.idle.q.*}) that hold no message. Kombu's queue delete only purges, so without this every run
     * would leave them; kombu4j's own {@code bench.k4j.*} queues are the transport's to delete. Problems go to
     * {@code err}: a missing table means the script never got that far.
     */
    static void kombuQueueRows(String url, PrintStream err) {
        SqlTarget t;
        try {
            t = SqlTarget.parse(url);
        } catch (IllegalArgumentException e) {
            return;
        }
        String sql = "DELETE FROM kombu_queue WHERE (name = 'bench.q' OR name LIKE 'bench.lat.q.%'"
                + " OR name LIKE 'bench.idle.q.%') AND NOT EXISTS (SELECT 1 FROM kombu_message m"
                + " WHERE m.queue_id = kombu_queue.id)";
        try (Connection c = t.connect(); Statement st = c.createStatement()) {
            int n = st.executeUpdate(sql);
            if (n > 0) {
                err.println("[bench] removed " + n + " empty kombu_queue rows left by kombu-py");
            }
        } catch (SQLException e) {
            err.println("[bench] cleanup of kombu-py's kombu_queue rows in " + t.describe() + ": " + e.getMessage());
        }
    }

    /**
     * On a PostgreSQL server running with {@code autovacuum = off}, runs {@code VACUUM} on the message table kombu4j
     * uses, before a kombu4j round and outside its timing. Without it each round inherits every dead row the rounds
     * before it left (a consumed message leaves two row versions; 10,000 of 1.6 KiB are 32 MB a round), and once
     * the table outgrows {@code shared_buffers} a round is measured against a table no server with autovacuum keeps.
     * The {@code jdbc} peer creates and drops a table of its own each round, so it never carries them.
     */
    static void vacuumKombu4jTable(String url, PrintStream err) {
        SqlTarget t;
        try {
            t = SqlTarget.parse(url);
        } catch (IllegalArgumentException e) {
            return;
        }
        if (!t.dialect().equals(SqlTarget.POSTGRESQL)) {
            return;
        }
        String table = t.options().getOrDefault("message_tablename", "kombu_message");
        if (!table.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            return;
        }
        try (Connection c = t.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT current_setting('autovacuum') = 'off' AND to_regclass('" + table
                    + "') IS NOT NULL")) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return;
                }
            }
            long t0 = System.nanoTime();
            st.execute("VACUUM " + table);
            err.printf("[bench] autovacuum is off: VACUUM %s before the kombu4j round (%.0f ms, not timed)%n", table,
                    (System.nanoTime() - t0) / 1e6);
        } catch (SQLException e) {
            err.println("[bench] VACUUM of " + table + " in " + t.describe() + ": " + e.getMessage());
        }
    }
}
