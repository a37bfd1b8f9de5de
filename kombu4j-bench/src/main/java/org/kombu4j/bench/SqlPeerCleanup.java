package org.kombu4j.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Removes what the Python peer leaves in a SQL database: its empty {@code kombu_queue} rows named {@code bench.*}. */
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
}
