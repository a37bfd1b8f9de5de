package org.kombu4j.sql;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.kombu4j.PreconditionFailedException;

/**
 * The tables a transport works on, made sure of at connect: Kombu's {@code kombu_queue} and
 * {@code kombu_message} (created as SQLAlchemy would if missing; refused with a clear error if they
 * exist with another layout), then our columns, indexes, exchange and binding tables, and on
 * PostgreSQL the NOTIFY trigger. Several processes may connect at once: the changes run under a
 * database-wide lock (PostgreSQL advisory lock, MariaDB {@code GET_LOCK}, SQLite's write lock).
 */
final class Schema {
    private static final List<String> KOMBU_MESSAGE_COLUMNS = List.of("id", "visible", "timestamp", "payload", "version", "queue_id");
    private static final List<String> KOMBU_QUEUE_COLUMNS = List.of("id", "name");
    private static final List<String> OUR_COLUMNS = List.of("lease_until", "priority", "delivery_count", "delivered_at");
    private static final long LOCK_KEY = 0x6b6f6d6275346aL; // "kombu4j"

    final Dialect dialect;
    final String queueTable;
    final String messageTable;
    final String exchangeTable;
    final String bindingTable;
    /** Our table of queue arguments (dead-letter target, delivery limit) by queue name. */
    final String queueArgsTable;
    /** kombu4j clients' counts and consumers, for a monitor. */
    final String statsTable;
    /** The id expression for a new message row, or null where the column fills itself (SQLite, auto-increment). */
    final @Nullable String messageId;
    final @Nullable String queueId;

    private Schema(Dialect dialect, String queueTable, String messageTable, @Nullable String messageId, @Nullable String queueId) {
        this.dialect = dialect;
        this.queueTable = queueTable;
        this.messageTable = messageTable;
        String ours = queueTable.equals("kombu_queue") ? "kombu4j" : queueTable + "_kombu4j";
        this.exchangeTable = ours + "_exchange";
        this.bindingTable = ours + "_binding";
        this.queueArgsTable = ours + "_queue_args";
        this.statsTable = ours + "_stats";
        this.messageId = messageId;
        this.queueId = queueId;
    }

    /** Makes sure the tables are there and usable; {@code c} is in auto-commit mode before and after. */
    static Schema ensure(Connection c, SqlUrl url) throws SQLException {
        Dialect d = url.dialect();
        String q = url.options().queueTable();
        String m = url.options().messageTable();
        List<String> missingOurs = inspect(c, url, q, m);
        boolean trigger = d != Dialect.POSTGRESQL || hasTrigger(c, m, Dialect.READY_TRIGGER) && hasTrigger(c, m, Dialect.DELAYED_TRIGGER);
        boolean ourTables = tableExists(c, ours(q) + "_binding") && tableExists(c, ours(q) + "_exchange")
                && tableExists(c, ours(q) + "_queue_args") && tableExists(c, ours(q) + "_stats");
        if (missingOurs == null || !missingOurs.isEmpty() || !trigger || !ourTables) {
            change(c, url, q, m);
        }
        return new Schema(d, q, m, idExpression(c, d, "message_id_sequence"), idExpression(c, d, "queue_id_sequence"));
    }

    private static String ours(String queueTable) {
        return queueTable.equals("kombu_queue") ? "kombu4j" : queueTable + "_kombu4j";
    }

    /**
     * Checks Kombu's tables: null if they are missing, else the list of our columns they lack.
     *
     * @throws PreconditionFailedException if a table exists without the columns Kombu's models have (it is left as it is)
     */
    private static @Nullable List<String> inspect(Connection c, SqlUrl url, String q, String m) throws SQLException {
        List<String> qCols = columns(c, q);
        List<String> mCols = columns(c, m);
        if (qCols.isEmpty() && mCols.isEmpty()) {
            return null;
        }
        // The table that exists is checked first: if it is someone else's, that is the news, not its missing partner.
        if (!mCols.isEmpty()) {
            foreignLayout(url, m, mCols, KOMBU_MESSAGE_COLUMNS);
        }
        if (!qCols.isEmpty()) {
            foreignLayout(url, q, qCols, KOMBU_QUEUE_COLUMNS);
        }
        foreignLayout(url, q, qCols, KOMBU_QUEUE_COLUMNS);
        foreignLayout(url, m, mCols, KOMBU_MESSAGE_COLUMNS);
        List<String> missing = new ArrayList<>();
        for (String col : OUR_COLUMNS) {
            if (!mCols.contains(col)) {
                missing.add(col);
            }
        }
        return missing;
    }

    private static void foreignLayout(SqlUrl url, String table, List<String> have, List<String> want) {
        if (have.isEmpty()) {
            throw new PreconditionFailedException("table " + table + " is missing on " + url.describe() + " while its partner exists: "
                    + "not Kombu's layout; use another database or the options queue_tablename/message_tablename");
        }
        List<String> lacking = new ArrayList<>();
        for (String col : want) {
            if (!have.contains(col)) {
                lacking.add(col);
            }
        }
        if (!lacking.isEmpty()) {
            throw new PreconditionFailedException("table " + table + " on " + url.describe() + " is not Kombu's layout: it has columns "
                    + have + " but lacks " + lacking + "; use another database or the options queue_tablename/message_tablename");
        }
    }

    /** The table's column names in lower case, or an empty list if there is no such table. */
    private static List<String> columns(Connection c, String table) throws SQLException {
        List<String> cols = new ArrayList<>();
        DatabaseMetaData md = c.getMetaData();
        for (String name : new String[] {table, table.toUpperCase(java.util.Locale.ROOT)}) {
            try (ResultSet rs = md.getColumns(c.getCatalog(), null, name, null)) {
                while (rs.next()) {
                    String schema = rs.getString("TABLE_SCHEM");
                    if (schema != null && !schema.equals("public") && !schema.isEmpty() && !schema.equals("main")) {
                        continue; // another PostgreSQL schema's table of the same name
                    }
                    cols.add(rs.getString("COLUMN_NAME").toLowerCase(java.util.Locale.ROOT));
                }
            }
            if (!cols.isEmpty()) {
                break;
            }
        }
        return cols;
    }

    private static boolean tableExists(Connection c, String table) throws SQLException {
        return !columns(c, table).isEmpty();
    }

    /** Whether the trigger is there as we make it now: on inserts only (an earlier one fired on updates too). */
    private static boolean hasTrigger(Connection c, String m, String trigger) throws SQLException {
        // tgtype bit 16 is TRIGGER_TYPE_UPDATE.
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM pg_trigger WHERE tgname = ? AND tgrelid = to_regclass(?) AND (tgtype & 16) = 0")) {
            ps.setString(1, trigger);
            ps.setString(2, m);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void change(Connection c, SqlUrl url, String q, String m) throws SQLException {
        Dialect d = url.dialect();
        // MariaDB's DDL commits by itself: its lock is a named one instead. SQLite's transaction is begun by hand:
        // the driver's own begins DEFERRED, whose first read pins a snapshot that another process's commit makes
        // stale, so the first write then fails at once with SQLITE_BUSY_SNAPSHOT (seen with several commands
        // starting together on a new file); BEGIN IMMEDIATE takes the write lock first, waiting busy_timeout for it.
        c.setAutoCommit(d != Dialect.POSTGRESQL);
        try (Statement st = c.createStatement()) {
            switch (d) {
                case POSTGRESQL -> st.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
                case MARIADB -> {
                    try (ResultSet rs = st.executeQuery("SELECT GET_LOCK('kombu4j_schema', 30)")) {
                        if (!rs.next() || rs.getInt(1) != 1) {
                            throw new SQLException("another connection held the schema lock 'kombu4j_schema' for 30 s", "55P03");
                        }
                    }
                }
                case SQLITE -> st.execute("BEGIN IMMEDIATE");
            }
            List<String> missingOurs = inspect(c, url, q, m); // again, under the lock: another process may have done it
            List<String> statements = new ArrayList<>();
            boolean created = missingOurs == null;
            if (created) {
                statements.addAll(d.createKombuTables(q, m));
                missingOurs = OUR_COLUMNS;
            }
            statements.addAll(d.addOurColumns(m, missingOurs));
            if (created) {
                statements.addAll(d.createTakenIndex(m));
            }
            String ours = ours(q);
            statements.addAll(d.createOurs(m, ours + "_exchange", ours + "_binding", ours + "_queue_args", ours + "_stats"));
            for (String sql : statements) {
                st.execute(sql);
            }
            switch (d) {
                case POSTGRESQL -> c.commit();
                case MARIADB -> st.execute("SELECT RELEASE_LOCK('kombu4j_schema')");
                case SQLITE -> st.execute("COMMIT");
            }
        } catch (SQLException | RuntimeException e) {
            if (d == Dialect.POSTGRESQL) {
                c.rollback();
            } else {
                try (Statement st = c.createStatement()) {
                    // SQLite: a failed BEGIN left no transaction, and ROLLBACK then fails too; nothing to undo either way.
                    st.execute(d == Dialect.MARIADB ? "SELECT RELEASE_LOCK('kombu4j_schema')" : "ROLLBACK");
                } catch (SQLException ignored) {
                    // The lock goes with the connection anyway.
                }
            }
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** How a new row of Kombu's table gets its id: from Kombu's sequence where there is one. */
    private static @Nullable String idExpression(Connection c, Dialect d, String sequence) throws SQLException {
        String probe = switch (d) {
            case POSTGRESQL -> "SELECT to_regclass('" + sequence + "') IS NOT NULL";
            case MARIADB -> "SELECT COUNT(*) > 0 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '"
                    + sequence + "' AND table_type = 'SEQUENCE'";
            case SQLITE -> null;
        };
        if (probe == null) {
            return null;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(probe)) {
            return rs.next() && rs.getBoolean(1) ? d.nextValue(sequence) : null;
        }
    }
}
