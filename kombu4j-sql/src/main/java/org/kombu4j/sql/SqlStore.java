package org.kombu4j.sql;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * One JDBC connection and the statements the transport runs on it. Not thread-safe: each user (the
 * consumer thread, the publishing callers under a lock) owns one. Methods throw {@link SQLException};
 * callers translate at their edge ({@link SqlErrors}).
 */
final class SqlStore implements AutoCloseable {
    /** The most ids in one {@code IN (...)} list. */
    private static final int CHUNK = 500;

    /** A row taken from a queue: its id, payload, how often it was taken (this time included), and priority. */
    record Claimed(long id, byte[] payload, int deliveryCount, int priority) {
    }

    private final SqlUrl url;
    private final Connection c;
    private final Schema schema;
    private final Dialect d;
    private final String m;
    private final Map<String, PreparedStatement> prepared = new HashMap<>();
    private long lastDataVersion = -1;
    /** How a claim locks what it takes: SKIP LOCKED where the server has it (MariaDB 10.6, MySQL 8), else plain. */
    private final String lockClause;
    /** SQLite's write-ahead log, whose size and time the idle probe compares. */
    private final @Nullable Path wal;
    private long walSize = -1;
    private long walMtime = -1;
    private long lastAsked;
    private final SqlCatalog catalog;
    private final SqlInserts inserts;

    private SqlStore(SqlUrl url, Connection c, Schema schema) {
        this.url = url;
        this.c = c;
        this.schema = schema;
        this.d = schema.dialect;
        this.m = schema.messageTable;
        this.wal = url.file() == null ? null : Path.of(url.file().toString() + "-wal");
        this.catalog = new SqlCatalog(this, schema);
        this.inserts = new SqlInserts(this, schema);
        this.lockClause = d == Dialect.SQLITE ? "" : skipLockedSupported(c) ? " FOR UPDATE SKIP LOCKED" : " FOR UPDATE";
    }

    private static boolean skipLockedSupported(Connection c) {
        try {
            var md = c.getMetaData();
            String product = md.getDatabaseProductVersion();
            int major = md.getDatabaseMajorVersion();
            int minor = md.getDatabaseMinorVersion();
            if (product != null && product.toLowerCase(java.util.Locale.ROOT).contains("mariadb")) {
                return major > 10 || major == 10 && minor >= 6;
            }
            return md.getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres") ? major >= 10 || major == 9 && minor >= 5
                    : major >= 8;
        } catch (SQLException e) {
            return true;
        }
    }

    /**
     * Opens a connection; with {@code schema} null, also makes sure of the tables.
     *
     * @throws SQLException as the driver reports it (see {@link SqlErrors#onConnect})
     */
    static SqlStore open(SqlUrl url, @Nullable Schema schema) throws SQLException {
        Connection c = connect(url);
        try {
            Schema s = schema != null ? schema : Schema.ensure(c, url);
            return new SqlStore(url, c, s);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private static Connection connect(SqlUrl url) throws SQLException {
        Properties p = new Properties();
        p.putAll(url.properties());
        if (url.dialect() == Dialect.SQLITE) {
            Path f = url.file();
            if (f != null && url.url().virtualHost() == null) {
                try {
                    Path parent = f.toAbsolutePath().getParent();
                    if (parent != null) {
                        Files.createDirectories(parent); // the default file's directory is ours to make
                    }
                } catch (java.io.IOException e) {
                    throw new SQLException("cannot create the directory of " + f + ": " + why(e), "SQLITE_CANTOPEN", 14, e);
                }
            }
            // WAL: readers never block the writer and a commit costs no fsync of the database file; NORMAL sync keeps
            // every commit through a process crash (not through a power cut). busy_timeout turns lock contention
            // between processes into a short wait instead of SQLITE_BUSY.
            p.setProperty("journal_mode", "WAL");
            p.setProperty("synchronous", "NORMAL");
            p.setProperty("busy_timeout", Long.toString(SqliteBusyWait.TIMEOUT_MILLIS)); // while opening
        }
        Connection c = DriverManager.getConnection(url.jdbcUrl(), p);
        if (url.dialect() == Dialect.SQLITE) {
            try (Statement st = c.createStatement()) {
                // From here on lock waits park briefly instead of SQLite's sleeps of milliseconds (SqliteBusyWait).
                org.sqlite.BusyHandler.setHandler(c, new SqliteBusyWait());
                st.execute("PRAGMA journal_mode=WAL"); // fails here, not at first publish, when the file is read-only
                // Checkpoints every 4,000 pages (16 MiB of log) instead of 1,000: a checkpoint stalls the commit that runs
                // it (copying pages, two fsyncs), and a queue's row is written, taken and deleted within seconds, so
                // in a longer log its page is copied to the database once rather than up to three times.
                st.execute("PRAGMA wal_autocheckpoint=4000");
                st.executeUpdate("CREATE TABLE IF NOT EXISTS kombu4j_probe (x INTEGER)"); // a write: is the file writable?
                st.executeUpdate("DROP TABLE IF EXISTS kombu4j_probe");
            } catch (SQLException e) {
                closeQuietly(c);
                throw e;
            }
        }
        return c;
    }

    /** What went wrong with a file, in words (the exception's class name means nothing to a user). */
    private static String why(java.io.IOException e) {
        if (e instanceof java.nio.file.FileSystemException fse) {
            String reason = fse.getReason();
            if (reason == null) {
                reason = e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                        : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                        : e instanceof java.nio.file.FileAlreadyExistsException ? "a file is in the way" : "failed";
            }
            return fse.getFile() + ": " + reason;
        }
        return String.valueOf(e.getMessage());
    }

    Schema schema() {
        return schema;
    }

    /** Queues, exchanges and bindings, on this connection. */
    SqlCatalog catalog() {
        return catalog;
    }

    /** Publishing, on this connection. */
    SqlInserts inserts() {
        return inserts;
    }

    /** A statement prepared once per connection and kept. */
    PreparedStatement ps(String sql) throws SQLException {
        PreparedStatement ps = prepared.get(sql);
        if (ps == null) {
            ps = c.prepareStatement(sql);
            prepared.put(sql, ps);
        }
        return ps;
    }

    // ---------------------------------------------------------------- transactions

    private void begin() throws SQLException {
        switch (d) {
            case POSTGRESQL -> c.setAutoCommit(false);
            case MARIADB -> ps("START TRANSACTION").execute();
            case SQLITE -> ps("BEGIN IMMEDIATE").execute();
        }
    }

    private void commit() throws SQLException {
        if (d == Dialect.POSTGRESQL) {
            c.commit();
            c.setAutoCommit(true);
        } else {
            ps("COMMIT").execute();
        }
    }

    private void rollbackQuietly() {
        try {
            if (d == Dialect.POSTGRESQL) {
                c.rollback();
                c.setAutoCommit(true);
            } else {
                ps("ROLLBACK").execute();
            }
        } catch (SQLException ignored) {
            // The connection is probably gone; its transaction with it.
        }
    }

    /** Runs {@code work} in one transaction. */
    <T> T inTransaction(SqlWork<T> work) throws SQLException {
        begin();
        try {
            T out = work.run();
            commit();
            return out;
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly();
            throw e;
        }
    }

    @FunctionalInterface
    interface SqlWork<T> {
        T run() throws SQLException;
    }

    // ---------------------------------------------------------------- consuming

    /** Takes up to {@code max} ready rows of a queue, leased until {@code leaseUntil} (epoch ms), in delivery order. */
    List<Claimed> claim(long queueId, int max, long leaseUntil) throws SQLException {
        return claim(queueId, max, leaseUntil, List.of());
    }

    /**
     * {@link #claim(long, int, long)}, deleting the acknowledged rows {@code acked} first; on PostgreSQL
     * in the same statement (a data-modifying CTE), so a consumer's steady state is one round trip a batch.
     * Elsewhere the deletes go first in the claim's transaction (on SQLite one commit a batch instead of two).
     */
    List<Claimed> claim(long queueId, int max, long leaseUntil, List<Long> acked) throws SQLException {
        String taken = "visible = " + d.bool(false) + ", lease_until = ?, version = version + 1, delivery_count = delivery_count + 1"
                + ", delivered_at = " + d.nowMillis();
        String ready = "queue_id = ? AND visible = " + d.bool(true) + " ORDER BY priority DESC, id LIMIT ?";
        List<Claimed> out = new ArrayList<>();
        if (d.updateReturning()) {
            // The limit is written into the statement (one statement kept per limit; a consumer uses a few): with it a
            // parameter, PostgreSQL's generic plan of the claim is a bad one, so the server planned every claim afresh.
            // With it literal, the fetcher's connection reuses one plan per limit (see reuseClaimPlans).
            PreparedStatement ps = ps("WITH gone AS (DELETE FROM " + m + " WHERE id = ANY (?)) UPDATE " + m + " SET " + taken
                    + " WHERE id IN (SELECT id FROM " + m + " WHERE " + ready.replace("LIMIT ?", "LIMIT " + max)
                    + " FOR UPDATE SKIP LOCKED) RETURNING id, payload, delivery_count, priority");
            ps.setArray(1, c.createArrayOf("bigint", acked.toArray()));
            ps.setLong(2, leaseUntil);
            ps.setLong(3, queueId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    // PostgreSQL's driver hands a text column's bytes as they came, in UTF-8 (the client encoding it
                    // sets): no String made and encoded again.
                    out.add(new Claimed(rs.getLong(1), rs.getBytes(2), rs.getInt(3), rs.getInt(4)));
                }
            }
            out.sort(Comparator.comparingInt(Claimed::priority).reversed().thenComparingLong(Claimed::id));
            return out;
        }
        return inTransaction(() -> {
            if (!acked.isEmpty()) {
                delete(acked);
            }
            PreparedStatement sel = ps("SELECT id, payload, delivery_count, priority FROM " + m + " WHERE " + ready
                    + lockClause);
            sel.setLong(1, queueId);
            sel.setInt(2, max);
            try (ResultSet rs = sel.executeQuery()) {
                while (rs.next()) {
                    out.add(new Claimed(rs.getLong(1), rs.getString(2).getBytes(StandardCharsets.UTF_8), rs.getInt(3) + 1, rs.getInt(4)));
                }
            }
            return lease(out, taken, leaseUntil);
        });
    }

    /**
     * Takes up to {@code max} delayed rows of a queue that are due ({@code lease_until < now}, never taken:
     * {@code delivery_count} 0), earliest due first, straight from their waiting state, leased until {@code leaseUntil}.
     * At a due time this replaces releasing every due row and claiming them again: one write a row instead of two,
     * and the first batch goes out without waiting for the release of all. Rows it leaves are released by the sweep.
     * Deletes the acknowledged rows {@code acked} first, as {@link #claim(long, int, long, List)} does.
     */
    List<Claimed> claimDue(long queueId, int max, long now, long leaseUntil, List<Long> acked) throws SQLException {
        String taken = "lease_until = ?, version = version + 1, delivery_count = 1, delivered_at = " + d.nowMillis();
        // In the order of an index: PostgreSQL's and SQLite's of taken rows by (queue, lease_until), so only the rows
        // taken are read (SQLite's index entries end with the id; PostgreSQL's do not, and due rows share one eta often);
        // MariaDB's on visible, whose entries end with the id.
        String order = switch (d) {
            case POSTGRESQL -> "lease_until";
            case SQLITE -> "lease_until, id";
            case MARIADB -> "id";
        };
        String due = "queue_id = ? AND visible = " + d.bool(false) + " AND lease_until < ? AND delivery_count = 0 ORDER BY " + order
                + " LIMIT ?";
        List<Claimed> out = new ArrayList<>();
        if (d.updateReturning()) {
            PreparedStatement ps = ps("WITH gone AS (DELETE FROM " + m + " WHERE id = ANY (?)) UPDATE " + m + " SET " + taken
                    + " WHERE id IN (SELECT id FROM " + m + " WHERE " + due + " FOR UPDATE SKIP LOCKED) RETURNING id, payload, priority");
            ps.setArray(1, c.createArrayOf("bigint", acked.toArray()));
            ps.setLong(2, leaseUntil);
            ps.setLong(3, queueId);
            ps.setLong(4, now);
            ps.setInt(5, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Claimed(rs.getLong(1), rs.getBytes(2), 1, rs.getInt(3))); // UTF-8 as sent, as in claim
                }
            }
            out.sort(Comparator.comparingLong(Claimed::id)); // RETURNING keeps no order
            return out;
        }
        return inTransaction(() -> {
            if (!acked.isEmpty()) {
                delete(acked);
            }
            PreparedStatement sel = ps("SELECT id, payload, priority FROM " + m + " WHERE " + due + lockClause);
            sel.setLong(1, queueId);
            sel.setLong(2, now);
            sel.setInt(3, max);
            try (ResultSet rs = sel.executeQuery()) {
                while (rs.next()) {
                    out.add(new Claimed(rs.getLong(1), rs.getString(2).getBytes(StandardCharsets.UTF_8), 1, rs.getInt(3)));
                }
            }
            return lease(out, taken, leaseUntil);
        });
    }

    /** Leases the rows a locking SELECT took ({@code taken}: the SET clause, its one parameter the lease end). */
    private List<Claimed> lease(List<Claimed> rows, String taken, long leaseUntil) throws SQLException {
        if (rows.isEmpty()) {
            return rows;
        }
        List<Long> ids = new ArrayList<>(rows.size());
        for (Claimed cl : rows) {
            ids.add(cl.id());
        }
        updateIds("UPDATE " + m + " SET " + taken + " WHERE id IN ", ids, leaseUntil);
        return rows;
    }

    /** Deletes rows (acknowledged messages). */
    void delete(Collection<Long> ids) throws SQLException {
        if (d == Dialect.POSTGRESQL && !ids.isEmpty()) {
            PreparedStatement ps = ps("DELETE FROM " + m + " WHERE id = ANY (?)");
            ps.setArray(1, c.createArrayOf("bigint", ids.toArray()));
            ps.executeUpdate();
            return;
        }
        updateIds("DELETE FROM " + m + " WHERE id IN ", ids, null);
    }

    /**
     * For a connection whose writes may be lost in a database crash without harm: a lost claim leaves
     * the row ready, a lost delete or lease renewal means one more delivery (at least once). On
     * PostgreSQL its commits then skip the WAL flush wait; publishes never run on such a connection.
     */
    void relaxDurability() throws SQLException {
        if (d == Dialect.POSTGRESQL) {
            try (Statement st = c.createStatement()) {
                st.execute("SET synchronous_commit TO off");
            }
        }
    }

    /**
     * For the fetcher's connection on PostgreSQL: statements prepared on the server keep one generic plan instead of
     * being planned again at each execution. The server's default ({@code plan_cache_mode = auto}) judged the claim's
     * generic plan dearer than a custom one and so planned each claim afresh, a data-modifying CTE with a locking
     * subquery; the fetcher's statements are few and fixed, and each one's generic plan uses the index its custom
     * plan does ({@code SqlIndexPlanTest}). Servers before 12 have no such setting: they keep their default.
     */
    void reuseClaimPlans() throws SQLException {
        if (d != Dialect.POSTGRESQL || c.getMetaData().getDatabaseMajorVersion() < 12) {
            return;
        }
        try (Statement st = c.createStatement()) {
            st.execute("SET plan_cache_mode TO force_generic_plan");
        }
    }

    /** Puts leased rows back, ready, at their place in the queue. */
    void release(Collection<Long> ids) throws SQLException {
        release(ids, false);
    }

    /**
     * {@link #release(Collection)}; with {@code undelivered}, rows claimed but never handed to a consumer (parked
     * when it left), whose claim then does not count as a delivery.
     */
    void release(Collection<Long> ids, boolean undelivered) throws SQLException {
        String set = "UPDATE " + m + " SET visible = " + d.bool(true) + ", lease_until = NULL, version = version + 1"
                + (undelivered ? ", delivery_count = CASE WHEN delivery_count > 0 THEN delivery_count - 1 ELSE 0 END" : "");
        if (d == Dialect.POSTGRESQL) {
            if (!ids.isEmpty()) {
                PreparedStatement ps = ps(notifying(set + " WHERE id = ANY (?)"));
                ps.setArray(1, c.createArrayOf("bigint", ids.toArray()));
                sumFirstColumn(ps);
            }
            return;
        }
        updateIds(set + " WHERE id IN ", ids, null);
    }

    /**
     * On PostgreSQL, an update that makes rows ready, as one statement that also NOTIFYs once per queue it touched:
     * the table's trigger announces inserted rows only. Its rows: per queue, how many rows it made ready.
     */
    private String notifying(String update) {
        return "WITH r AS (" + update + " RETURNING queue_id) SELECT count(*), pg_notify('" + Dialect.notifyChannel(m)
                + "', queue_id::text) FROM r GROUP BY queue_id";
    }

    private static int sumFirstColumn(PreparedStatement ps) throws SQLException {
        int n = 0;
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                n += rs.getInt(1);
            }
        }
        return n;
    }

    /**
     * The earliest {@code lease_until} of the not-visible rows of some queues (epoch ms), or
     * {@link Long#MAX_VALUE} if none has one: when the next delayed row is due or the next lease ends.
     * Rows Python Kombu took have none.
     */
    long nextDue(Collection<Long> queueIds) throws SQLException {
        if (queueIds.isEmpty()) {
            return Long.MAX_VALUE;
        }
        long min = Long.MAX_VALUE;
        List<Long> all = new ArrayList<>(queueIds);
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<Long> part = all.subList(from, Math.min(all.size(), from + CHUNK));
            PreparedStatement ps = ps("SELECT MIN(lease_until) FROM " + m + " WHERE visible = " + d.bool(false) + " AND queue_id IN "
                    + placeholders(part.size()));
            for (int i = 0; i < part.size(); i++) {
                ps.setLong(1 + i, part.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    long v = rs.getLong(1);
                    if (!rs.wasNull()) {
                        min = Math.min(min, v);
                    }
                }
            }
        }
        return min;
    }

    /**
     * Replaces a taken row by its dead letter in one transaction: the row is deleted and, if it was still
     * there, the dead letter inserted where {@code route} goes. Returns whether the row was there (if not, its
     * lease ran out and another consumer has it: no dead letter is made, so none is doubled).
     */
    boolean deadLetter(long id, SqlInserts.Route route, byte[] payload, int priority) throws SQLException {
        return inTransaction(() -> {
            PreparedStatement del = ps("DELETE FROM " + m + " WHERE id = ?");
            del.setLong(1, id);
            if (del.executeUpdate() == 0) {
                return false;
            }
            inserts.insert(route, payload, priority);
            return true;
        });
    }

    /** Extends the lease of rows still held. */
    void renew(Collection<Long> ids, long leaseUntil) throws SQLException {
        updateIds("UPDATE " + m + " SET lease_until = ? WHERE visible = " + d.bool(false) + " AND id IN ", ids, leaseUntil);
    }

    /** Returns rows whose lease ran out (their consumer died) to their queues; returns how many. */
    int sweep(Collection<Long> queueIds, long now) throws SQLException {
        if (queueIds.isEmpty()) {
            return 0;
        }
        String set = "UPDATE " + m + " SET visible = " + d.bool(true) + ", lease_until = NULL, version = version + 1 "
                + "WHERE lease_until < ? AND visible = " + d.bool(false) + " AND queue_id ";
        if (d == Dialect.POSTGRESQL) {
            PreparedStatement ps = ps(notifying(set + "= ANY (?)"));
            ps.setLong(1, now);
            ps.setArray(2, c.createArrayOf("bigint", queueIds.toArray()));
            return sumFirstColumn(ps);
        }
        int n = 0;
        List<Long> all = new ArrayList<>(queueIds);
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<Long> part = all.subList(from, Math.min(all.size(), from + CHUNK));
            PreparedStatement ps = ps(set + "IN " + placeholders(part.size()));
            ps.setLong(1, now);
            for (int i = 0; i < part.size(); i++) {
                ps.setLong(2 + i, part.get(i));
            }
            n += ps.executeUpdate();
        }
        return n;
    }

    private void updateIds(String sqlBeforeList, Collection<Long> ids, @Nullable Long firstParam) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        List<Long> all = ids instanceof List<Long> l ? l : new ArrayList<>(ids);
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<Long> part = all.subList(from, Math.min(all.size(), from + CHUNK));
            // Statements for up to 128 ids are kept (a batch is at most the prefetch, usually one size); longer ones not.
            String sql = sqlBeforeList + placeholders(part.size());
            boolean keep = part.size() <= 128;
            PreparedStatement ps = keep ? ps(sql) : c.prepareStatement(sql);
            try {
                int at = 1;
                if (firstParam != null) {
                    ps.setLong(at++, firstParam);
                }
                for (Long id : part) {
                    ps.setLong(at++, id);
                }
                ps.executeUpdate();
            } finally {
                if (!keep) {
                    ps.close();
                }
            }
        }
    }

    private static String placeholders(int n) {
        StringBuilder sb = new StringBuilder(n * 3 + 2).append('(');
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "?" : ", ?");
        }
        return sb.append(')').toString();
    }

    /**
     * The idle probe: whether new work may have arrived for {@code queueIds}. SQLite: whether another
     * connection committed since the last probe ({@code PRAGMA data_version}, which reads no table);
     * MariaDB: whether one of the queues has a ready row (an index lookup).
     */
    boolean probe(Collection<Long> queueIds) throws SQLException {
        if (d == Dialect.SQLITE) {
            // A commit by any connection appends to the WAL file: a stat of it (a few microseconds) tells whether
            // to ask SQLite, whose PRAGMA through JDBC costs some hundred. Once a second SQLite is asked anyway, in
            // case a checkpoint reset the file to the same size within one timestamp tick.
            long now = System.nanoTime();
            if (wal != null && now - lastAsked < 1_000_000_000L) {
                try {
                    var attrs = Files.readAttributes(wal, java.nio.file.attribute.BasicFileAttributes.class);
                    long size = attrs.size();
                    long mtime = attrs.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
                    if (size == walSize && mtime == walMtime) {
                        return false;
                    }
                    walSize = size;
                    walMtime = mtime;
                } catch (java.io.IOException e) {
                    // No WAL file (yet): ask SQLite.
                }
            }
            lastAsked = now;
            try (ResultSet rs = ps("PRAGMA data_version").executeQuery()) {
                long v = rs.next() ? rs.getLong(1) : 0;
                boolean changed = v != lastDataVersion;
                lastDataVersion = v;
                return changed;
            }
        }
        if (queueIds.isEmpty()) {
            return false;
        }
        List<Long> all = new ArrayList<>(queueIds);
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + m + " WHERE visible = " + d.bool(true) + " AND queue_id IN "
                + placeholders(all.size()) + " LIMIT 1");
        try (ps) {
            for (int i = 0; i < all.size(); i++) {
                ps.setLong(i + 1, all.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public void close() {
        for (PreparedStatement ps : prepared.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // Closing the connection closes them anyway.
            }
        }
        prepared.clear();
        closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // Nothing to do for a connection that will not close.
        }
    }

    /** What to call the database in messages. */
    String describe() {
        return url.describe();
    }
}
