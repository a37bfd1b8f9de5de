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
import org.kombu4j.ExchangeType;
import org.kombu4j.PreconditionFailedException;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.virtual.ExchangeRouter;

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

    /** Where a publish goes, as one {@code INSERT ... SELECT}: routing runs in the database, in the same statement. */
    sealed interface Route permits ToQueue, Direct, Fanout, ToQueues {
    }

    /** The default exchange: the queue named by the routing key. */
    record ToQueue(String queue) implements Route {
    }

    record Direct(String exchange, String routingKey) implements Route {
    }

    record Fanout(String exchange) implements Route {
    }

    /** Queues chosen in Java (topic and headers exchanges). */
    record ToQueues(List<String> queues) implements Route {
    }

    private final SqlUrl url;
    private final Connection c;
    private final Schema schema;
    private final Dialect d;
    private final String m;
    private final String q;
    private final Map<String, PreparedStatement> prepared = new HashMap<>();
    private long lastDataVersion = -1;

    private SqlStore(SqlUrl url, Connection c, Schema schema) {
        this.url = url;
        this.c = c;
        this.schema = schema;
        this.d = schema.dialect;
        this.m = schema.messageTable;
        this.q = schema.queueTable;
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
                    throw new SQLException("cannot create the directory of " + f + ": " + e, "SQLITE_CANTOPEN", 14, e);
                }
            }
            // WAL: readers never block the writer and a commit costs no fsync of the database file; NORMAL sync keeps
            // every commit through a process crash (not through a power cut). busy_timeout turns lock contention
            // between processes into a short wait instead of SQLITE_BUSY.
            p.setProperty("journal_mode", "WAL");
            p.setProperty("synchronous", "NORMAL");
            p.setProperty("busy_timeout", "10000");
        }
        Connection c = DriverManager.getConnection(url.jdbcUrl(), p);
        if (url.dialect() == Dialect.SQLITE) {
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL"); // fails here, not at first publish, when the file is read-only
                st.executeUpdate("CREATE TABLE IF NOT EXISTS kombu4j_probe (x INTEGER)"); // a write: is the file writable?
                st.executeUpdate("DROP TABLE IF EXISTS kombu4j_probe");
            } catch (SQLException e) {
                closeQuietly(c);
                throw e;
            }
        }
        return c;
    }

    Schema schema() {
        return schema;
    }

    boolean isValid() {
        try {
            return !c.isClosed() && c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private PreparedStatement ps(String sql) throws SQLException {
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

    // ---------------------------------------------------------------- queues

    /** The queue's id, or null if there is no such queue. */
    @Nullable Long queueId(String name) throws SQLException {
        PreparedStatement ps = ps("SELECT id FROM " + q + " WHERE name = ?");
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : null;
        }
    }

    /** Creates the queue if missing; returns its id. */
    long createQueue(String name) throws SQLException {
        Long id = queueId(name);
        if (id != null) {
            return id;
        }
        String cols = schema.queueId != null ? "id, name" : "name";
        String vals = schema.queueId != null ? schema.queueId + ", ?" : "?";
        PreparedStatement ps = ps(d.insertIgnore(q, cols, vals));
        ps.setString(1, name);
        ps.executeUpdate();
        id = queueId(name);
        if (id == null) {
            throw new SQLException("queue '" + name + "' vanished right after it was created");
        }
        return id;
    }

    /** Deletes a queue, its messages and its bindings; false if there was no such queue. */
    boolean deleteQueue(String name) throws SQLException {
        return inTransaction(() -> {
            Long id = queueId(name);
            PreparedStatement b = ps("DELETE FROM " + schema.bindingTable + " WHERE queue = ?");
            b.setString(1, name);
            b.executeUpdate();
            if (id == null) {
                return false;
            }
            PreparedStatement dm = ps("DELETE FROM " + m + " WHERE queue_id = ?");
            dm.setLong(1, id);
            dm.executeUpdate();
            PreparedStatement dq = ps("DELETE FROM " + q + " WHERE id = ?");
            dq.setLong(1, id);
            dq.executeUpdate();
            return true;
        });
    }

    long countReady(long queueId) throws SQLException {
        PreparedStatement ps = ps("SELECT COUNT(*) FROM " + m + " WHERE queue_id = ? AND visible = " + d.bool(true));
        ps.setLong(1, queueId);
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Deletes the ready messages of a queue; returns how many. */
    long purge(long queueId) throws SQLException {
        PreparedStatement ps = ps("DELETE FROM " + m + " WHERE queue_id = ? AND visible = " + d.bool(true));
        ps.setLong(1, queueId);
        return ps.executeUpdate();
    }

    List<QueueInfo> listQueues() throws SQLException {
        List<QueueInfo> out = new ArrayList<>();
        PreparedStatement ps = ps("SELECT q.name, (SELECT COUNT(*) FROM " + m + " m WHERE m.queue_id = q.id AND m.visible = "
                + d.bool(true) + ") FROM " + q + " q ORDER BY q.name");
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new QueueInfo(rs.getString(1), rs.getLong(2), -1));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- exchanges and bindings

    @Nullable ExchangeType exchangeType(String name) throws SQLException {
        PreparedStatement ps = ps("SELECT type FROM " + schema.exchangeTable + " WHERE name = ?");
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? ExchangeType.of(rs.getString(1)) : null;
        }
    }

    void storeExchange(String name, ExchangeType type) throws SQLException {
        PreparedStatement ps = ps(d.insertIgnore(schema.exchangeTable, "name, type", "?, ?"));
        ps.setString(1, name);
        ps.setString(2, type.wireName());
        ps.executeUpdate();
        ExchangeType have = exchangeType(name);
        if (have != null && have != type) {
            throw new PreconditionFailedException("exchange '" + name + "' exists with type " + have.wireName()
                    + ", cannot redeclare it as " + type.wireName());
        }
    }

    void removeExchange(String name) throws SQLException {
        inTransaction(() -> {
            PreparedStatement b = ps("DELETE FROM " + schema.bindingTable + " WHERE exchange = ?");
            b.setString(1, name);
            b.executeUpdate();
            PreparedStatement e = ps("DELETE FROM " + schema.exchangeTable + " WHERE name = ?");
            e.setString(1, name);
            e.executeUpdate();
            return null;
        });
    }

    List<ExchangeRouter.Row> bindings(String exchange) throws SQLException {
        PreparedStatement ps = ps("SELECT queue, routing_key, arguments FROM " + schema.bindingTable + " WHERE exchange = ?");
        ps.setString(1, exchange);
        List<ExchangeRouter.Row> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new ExchangeRouter.Row(rs.getString(1), rs.getString(2), BindingArguments.parse(rs.getString(3))));
            }
        }
        return rows;
    }

    void storeBinding(String exchange, ExchangeRouter.Row row) throws SQLException {
        inTransaction(() -> {
            PreparedStatement del = ps("DELETE FROM " + schema.bindingTable + " WHERE exchange = ? AND queue = ? AND routing_key = ?");
            del.setString(1, exchange);
            del.setString(2, row.queue());
            del.setString(3, row.routingKey());
            del.executeUpdate();
            PreparedStatement ins = ps("INSERT INTO " + schema.bindingTable + " (exchange, queue, routing_key, arguments) VALUES (?, ?, ?, ?)");
            ins.setString(1, exchange);
            ins.setString(2, row.queue());
            ins.setString(3, row.routingKey());
            ins.setString(4, BindingArguments.write(row.arguments()));
            ins.executeUpdate();
            return null;
        });
    }

    void removeBinding(String exchange, ExchangeRouter.Row row) throws SQLException {
        PreparedStatement del = ps("DELETE FROM " + schema.bindingTable + " WHERE exchange = ? AND queue = ? AND routing_key = ?");
        del.setString(1, exchange);
        del.setString(2, row.queue());
        del.setString(3, row.routingKey());
        del.executeUpdate();
    }

    // ---------------------------------------------------------------- publishing

    private String insertSql(Route route) {
        StringBuilder sb = new StringBuilder("INSERT INTO ").append(m).append(" (");
        if (schema.messageId != null) {
            sb.append("id, ");
        }
        sb.append("visible, payload, version, queue_id, priority) SELECT ");
        if (schema.messageId != null) {
            sb.append(schema.messageId).append(", ");
        }
        sb.append(d.bool(true)).append(", ?, 1, q.id, ? FROM ").append(q).append(" q WHERE ");
        if (route instanceof ToQueue) {
            sb.append("q.name = ?");
        } else if (route instanceof Direct) {
            sb.append("q.name IN (SELECT b.queue FROM ").append(schema.bindingTable).append(" b WHERE b.exchange = ? AND b.routing_key = ?)");
        } else if (route instanceof Fanout) {
            sb.append("q.name IN (SELECT b.queue FROM ").append(schema.bindingTable).append(" b WHERE b.exchange = ?)");
        } else {
            int n = ((ToQueues) route).queues().size();
            sb.append("q.name IN (");
            for (int i = 0; i < n; i++) {
                sb.append(i == 0 ? "?" : ", ?");
            }
            sb.append(')');
        }
        return sb.toString();
    }

    private static void bindRoute(PreparedStatement ps, int at, Route route) throws SQLException {
        if (route instanceof ToQueue t) {
            ps.setString(at, t.queue());
        } else if (route instanceof Direct t) {
            ps.setString(at, t.exchange());
            ps.setString(at + 1, t.routingKey());
        } else if (route instanceof Fanout t) {
            ps.setString(at, t.exchange());
        } else {
            List<String> queues = ((ToQueues) route).queues();
            for (int i = 0; i < queues.size(); i++) {
                ps.setString(at + i, queues.get(i));
            }
        }
    }

    /** Inserts one message into every queue the route reaches; returns how many rows (queues) took it. */
    int insert(Route route, byte[] payload, int priority) throws SQLException {
        if (route instanceof ToQueues t && t.queues().isEmpty()) {
            return 0;
        }
        PreparedStatement ps = ps(insertSql(route));
        ps.setString(1, new String(payload, StandardCharsets.UTF_8));
        ps.setInt(2, priority);
        bindRoute(ps, 3, route);
        return ps.executeUpdate();
    }

    /** A publish waiting in a batch. */
    record Pending(Route route, byte[] payload, int priority) {
    }

    /** Inserts a batch in one transaction; returns the rows each publish made, in order. */
    int[] insertBatch(List<Pending> batch) throws SQLException {
        return inTransaction(() -> {
            int[] rows = new int[batch.size()];
            int i = 0;
            while (i < batch.size()) {
                // Consecutive publishes with one statement shape go as one JDBC batch (one round trip).
                String sql = insertSql(batch.get(i).route());
                PreparedStatement ps = ps(sql);
                int start = i;
                while (i < batch.size() && (i == start || insertSql(batch.get(i).route()).equals(sql))) {
                    Pending p = batch.get(i);
                    if (p.route() instanceof ToQueues t && t.queues().isEmpty()) {
                        break;
                    }
                    ps.setString(1, new String(p.payload(), StandardCharsets.UTF_8));
                    ps.setInt(2, p.priority());
                    bindRoute(ps, 3, p.route());
                    ps.addBatch();
                    i++;
                }
                if (i == start) { // a publish that routes nowhere
                    rows[i++] = 0;
                    continue;
                }
                int[] counts = ps.executeBatch();
                for (int k = 0; k < counts.length; k++) {
                    rows[start + k] = counts[k] == Statement.SUCCESS_NO_INFO ? 1 : counts[k];
                }
            }
            return rows;
        });
    }

    // ---------------------------------------------------------------- consuming

    /** Takes up to {@code max} ready rows of a queue, leased until {@code leaseUntil} (epoch ms), in delivery order. */
    List<Claimed> claim(long queueId, int max, long leaseUntil) throws SQLException {
        String taken = "visible = " + d.bool(false) + ", lease_until = ?, version = version + 1, delivery_count = delivery_count + 1";
        String ready = "queue_id = ? AND visible = " + d.bool(true) + " ORDER BY priority DESC, id LIMIT ?";
        List<Claimed> out = new ArrayList<>();
        if (d.updateReturning()) {
            PreparedStatement ps = ps("UPDATE " + m + " SET " + taken + " WHERE id IN (SELECT id FROM " + m + " WHERE " + ready
                    + " FOR UPDATE SKIP LOCKED) RETURNING id, payload, delivery_count, priority");
            ps.setLong(1, leaseUntil);
            ps.setLong(2, queueId);
            ps.setInt(3, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Claimed(rs.getLong(1), rs.getString(2).getBytes(StandardCharsets.UTF_8), rs.getInt(3), rs.getInt(4)));
                }
            }
            out.sort(Comparator.comparingInt(Claimed::priority).reversed().thenComparingLong(Claimed::id));
            return out;
        }
        return inTransaction(() -> {
            PreparedStatement sel = ps("SELECT id, payload, delivery_count, priority FROM " + m + " WHERE " + ready
                    + (d.skipsLocked() ? " FOR UPDATE SKIP LOCKED" : ""));
            sel.setLong(1, queueId);
            sel.setInt(2, max);
            try (ResultSet rs = sel.executeQuery()) {
                while (rs.next()) {
                    out.add(new Claimed(rs.getLong(1), rs.getString(2).getBytes(StandardCharsets.UTF_8), rs.getInt(3) + 1, rs.getInt(4)));
                }
            }
            if (out.isEmpty()) {
                return out;
            }
            List<Long> ids = new ArrayList<>(out.size());
            for (Claimed cl : out) {
                ids.add(cl.id());
            }
            updateIds("UPDATE " + m + " SET " + taken + " WHERE id IN ", ids, leaseUntil);
            return out;
        });
    }

    /** Deletes rows (acknowledged messages). */
    void delete(Collection<Long> ids) throws SQLException {
        updateIds("DELETE FROM " + m + " WHERE id IN ", ids, null);
    }

    /** Puts leased rows back, ready, at their place in the queue. */
    void release(Collection<Long> ids) throws SQLException {
        updateIds("UPDATE " + m + " SET visible = " + d.bool(true) + ", lease_until = NULL, version = version + 1 WHERE id IN ", ids, null);
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
        int n = 0;
        List<Long> all = new ArrayList<>(queueIds);
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<Long> part = all.subList(from, Math.min(all.size(), from + CHUNK));
            PreparedStatement ps = ps("UPDATE " + m + " SET visible = " + d.bool(true) + ", lease_until = NULL, version = version + 1 "
                    + "WHERE lease_until < ? AND visible = " + d.bool(false) + " AND queue_id IN " + placeholders(part.size()));
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
            PreparedStatement ps = c.prepareStatement(sqlBeforeList + placeholders(part.size()));
            try (ps) {
                int at = 1;
                if (firstParam != null) {
                    ps.setLong(at++, firstParam);
                }
                for (Long id : part) {
                    ps.setLong(at++, id);
                }
                ps.executeUpdate();
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
