package org.kombu4j.sql;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ExchangeType;
import org.kombu4j.PreconditionFailedException;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.QueueStats;
import org.kombu4j.transport.virtual.DeadLetterPolicy;
import org.kombu4j.transport.virtual.ExchangeRouter;

/**
 * Queues (Kombu's queue table), exchanges and bindings (ours), on one {@link SqlStore}'s connection:
 * what declarations, deletes, purges and {@code queues} run.
 */
final class SqlCatalog {
    private final SqlStore store;
    private final Schema schema;
    private final Dialect d;
    private final String m;
    private final String q;

    SqlCatalog(SqlStore store, Schema schema) {
        this.store = store;
        this.schema = schema;
        this.d = schema.dialect;
        this.m = schema.messageTable;
        this.q = schema.queueTable;
    }

    private PreparedStatement ps(String sql) throws SQLException {
        return store.ps(sql);
    }

    private <T> T inTransaction(SqlStore.SqlWork<T> work) throws SQLException {
        return store.inTransaction(work);
    }

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

    /** Deletes a queue, its messages, bindings and client totals; false if there was no such queue. */
    boolean deleteQueue(String name) throws SQLException {
        return inTransaction(() -> {
            Long id = queueId(name);
            PreparedStatement b = ps("DELETE FROM " + schema.bindingTable + " WHERE queue = ?");
            b.setString(1, name);
            b.executeUpdate();
            PreparedStatement a = ps("DELETE FROM " + schema.queueArgsTable + " WHERE name = ?");
            a.setString(1, name);
            a.executeUpdate();
            // Its totals too (live clients' consumer rows stay theirs): a monitor lists only queues that exist, and
            // short-lived queues would fill the table.
            PreparedStatement st = ps("DELETE FROM " + schema.statsTable + " WHERE queue = ? AND owner = ''");
            st.setString(1, name);
            st.executeUpdate();
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

    /** The dead-letter arguments stored for a queue, or null. */
    @Nullable DeadLetterPolicy deadLetterPolicy(String name) throws SQLException {
        PreparedStatement ps = ps("SELECT dead_letter_exchange, dead_letter_routing_key, delivery_limit FROM " + schema.queueArgsTable
                + " WHERE name = ?");
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            int limit = rs.getInt(3);
            return new DeadLetterPolicy(rs.getString(1), rs.getString(2), rs.wasNull() ? -1 : limit);
        }
    }

    /** Every stored queue's dead-letter arguments, by queue: one query, for a monitor's sample. */
    java.util.Map<String, DeadLetterPolicy> deadLetterPolicies() throws SQLException {
        PreparedStatement ps = ps("SELECT name, dead_letter_exchange, dead_letter_routing_key, delivery_limit FROM "
                + schema.queueArgsTable);
        java.util.Map<String, DeadLetterPolicy> out = new java.util.LinkedHashMap<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                int limit = rs.getInt(4);
                out.put(rs.getString(1), new DeadLetterPolicy(rs.getString(2), rs.getString(3), rs.wasNull() ? -1 : limit));
            }
        }
        return out;
    }

    /** Stores a queue's dead-letter arguments, replacing those it had: the last declaration wins. */
    void storeDeadLetterPolicy(String name, DeadLetterPolicy p) throws SQLException {
        PreparedStatement ins = ps(d.upsert(schema.queueArgsTable, List.of("name"),
                List.of("dead_letter_exchange", "dead_letter_routing_key", "delivery_limit")));
        ins.setString(1, name);
        ins.setString(2, p.exchange());
        ins.setString(3, p.routingKey());
        if (p.limited()) {
            ins.setInt(4, p.deliveryLimit());
        } else {
            ins.setNull(4, java.sql.Types.INTEGER);
        }
        ins.executeUpdate();
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

    /**
     * Every queue's ready, taken (leased by kombu4j, or taken by Python Kombu, which leaves no lease) and
     * delayed rows (not visible, never delivered, due at {@code lease_until}), in one query for a monitor.
     */
    List<QueueStats> queueStats(long nowMillis) throws SQLException {
        String hidden = "m.visible = " + d.bool(false);
        String delayed = hidden + " AND COALESCE(m.delivery_count, 0) = 0 AND m.lease_until IS NOT NULL";
        // The oldest unacknowledged: the earliest claim among rows our consumers hold (delivered_at, set by the claim;
        // rows Python Kombu took have none), against the database's own clock, so no clock skew enters the age.
        PreparedStatement ps = ps("SELECT q.name, SUM(CASE WHEN m.visible = " + d.bool(true) + " THEN 1 ELSE 0 END), "
                + "SUM(CASE WHEN " + hidden + " AND (COALESCE(m.delivery_count, 0) > 0 OR m.lease_until IS NULL) THEN 1 ELSE 0 END), "
                + "SUM(CASE WHEN " + delayed + " THEN 1 ELSE 0 END), MIN(CASE WHEN " + delayed + " THEN m.lease_until END), "
                + "MIN(CASE WHEN " + hidden + " AND COALESCE(m.delivery_count, 0) > 0 THEN m.delivered_at END), " + d.nowMillis() + " "
                + "FROM " + q + " q LEFT JOIN " + m + " m ON m.queue_id = q.id GROUP BY q.name ORDER BY q.name");
        List<QueueStats> rows = new ArrayList<>();
        long dbNow = nowMillis;
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long delayedCount = rs.getLong(4);
                long due = rs.getLong(5);
                Double overdue = rs.wasNull() || delayedCount == 0 ? null : Math.max(0, (nowMillis - due) / 1000.0);
                long taken = rs.getLong(6);
                boolean noneTaken = rs.wasNull();
                dbNow = rs.getLong(7);
                Double oldest = noneTaken ? null : Math.max(0, (dbNow - taken) / 1000.0);
                rows.add(new QueueStats(rs.getString(1), rs.getLong(2), rs.getLong(3), null, null, null, oldest,
                        delayedCount, overdue, null));
            }
        }
        // kombu4j clients' totals and live consumers (ClientStatsWriter): one more query, as many rows as queues
        // counted plus one per live consumer process and queue.
        Map<String, long[]> stats = new HashMap<>(); // queue -> {published, delivered, consumers}
        PreparedStatement st = ps("SELECT queue, SUM(published), SUM(delivered), SUM(CASE WHEN expires_at > ? THEN consumers ELSE 0 END) "
                + "FROM " + schema.statsTable + " GROUP BY queue");
        st.setLong(1, nowMillis);
        try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                stats.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4)});
            }
        }
        List<QueueStats> out = new ArrayList<>(rows.size());
        for (QueueStats r : rows) {
            long[] c = stats.get(r.name());
            out.add(new QueueStats(r.name(), r.ready(), r.unacked(), c == null ? 0 : (int) c[2], null, null,
                    r.oldestUnackedAgeSeconds(), r.delayed(), r.oldestDelayedAgeSeconds(), null, List.of(),
                    c == null ? null : c[0], c == null ? null : c[1], null, true));
        }
        return out;
    }

    /**
     * Adds kombu4j client {@code owner}'s counts (queue → {published, delivered}) to the totals and, when
     * {@code consumers} is not null, replaces its consumer rows (queues it no longer consumes: 0), in one batch.
     */
    void writeClientStats(Map<String, long[]> counts, @Nullable Map<String, Integer> consumers, java.util.Set<String> consumedBefore,
            String owner, long expiresAt) throws SQLException {
        PreparedStatement ps = ps(d.statsUpsert(schema.statsTable));
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            statsRow(ps, e.getKey(), "", e.getValue()[0], e.getValue()[1], 0, 0);
        }
        if (consumers != null) {
            for (Map.Entry<String, Integer> e : consumers.entrySet()) {
                statsRow(ps, e.getKey(), owner, 0, 0, e.getValue(), expiresAt);
            }
            for (String gone : consumedBefore) {
                if (!consumers.containsKey(gone)) {
                    statsRow(ps, gone, owner, 0, 0, 0, 0);
                }
            }
        }
        ps.executeBatch();
    }

    private static void statsRow(PreparedStatement ps, String queue, String owner, long published, long delivered, int consumers,
            long expiresAt) throws SQLException {
        ps.setString(1, queue);
        ps.setString(2, owner);
        ps.setLong(3, published);
        ps.setLong(4, delivered);
        ps.setInt(5, consumers);
        ps.setLong(6, expiresAt);
        ps.addBatch();
    }

    /** Removes client {@code owner}'s consumer rows (its connection closes), and rows of clients gone for an hour. */
    void removeClientStats(String owner, long nowMillis) throws SQLException {
        PreparedStatement ps = ps("DELETE FROM " + schema.statsTable + " WHERE owner = ? OR (owner <> '' AND expires_at < ?)");
        ps.setString(1, owner);
        ps.setLong(2, nowMillis - 3_600_000L);
        ps.executeUpdate();
    }

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
        PreparedStatement ins = ps(d.upsert(schema.bindingTable, List.of("exchange", "queue", "routing_key"), List.of("arguments")));
        ins.setString(1, exchange);
        ins.setString(2, row.queue());
        ins.setString(3, row.routingKey());
        ins.setString(4, BindingArguments.write(row.arguments()));
        ins.executeUpdate();
    }

    void removeBinding(String exchange, ExchangeRouter.Row row) throws SQLException {
        PreparedStatement del = ps("DELETE FROM " + schema.bindingTable + " WHERE exchange = ? AND queue = ? AND routing_key = ?");
        del.setString(1, exchange);
        del.setString(2, row.queue());
        del.setString(3, row.routingKey());
        del.executeUpdate();
    }
}
