package org.kombu4j.sql;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishing on one {@link SqlStore}'s connection: each message is one {@code INSERT ... SELECT} that
 * routes in the database (the default exchange by queue name, direct and fanout through the binding
 * table; topic and headers through queue names chosen in Java), so a binding another process made
 * counts at once, and a batch goes as one JDBC batch in one transaction.
 */
final class SqlInserts {
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

    private final SqlStore store;
    private final Schema schema;
    private final Dialect d;
    private final String m;
    private final String q;

    SqlInserts(SqlStore store, Schema schema) {
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

    /** The insert statement per route shape: the route's kind, and for {@link ToQueues} how many queues. */
    private final Map<Integer, String> insertSqls = new HashMap<>();

    private String insertSql(Route route, boolean delayed) {
        int shape = route instanceof ToQueue ? -1 : route instanceof Direct ? -2 : route instanceof Fanout ? -3
                : ((ToQueues) route).queues().size();
        shape = shape * 2 + (delayed ? 1 : 0);
        String sql = insertSqls.get(shape);
        if (sql == null) {
            sql = buildInsertSql(route, delayed);
            insertSqls.put(shape, sql);
        }
        return sql;
    }

    /**
     * The insert for a route. A delayed message's row is written not visible, due at {@code lease_until} and held by
     * nobody: Python Kombu takes only visible rows, and the lease sweep makes it ready when due, as it does a dead
     * consumer's rows. Its {@code delivery_count} stays 0: waiting is no delivery.
     */
    private String buildInsertSql(Route route, boolean delayed) {
        StringBuilder sb = new StringBuilder("INSERT INTO ").append(m).append(" (");
        if (schema.messageId != null) {
            sb.append("id, ");
        }
        sb.append("visible, payload, version, queue_id, priority").append(delayed ? ", lease_until" : "").append(") SELECT ");
        if (schema.messageId != null) {
            sb.append(schema.messageId).append(", ");
        }
        sb.append(d.bool(!delayed)).append(", ?, 1, q.id, ?").append(delayed ? ", ?" : "").append(" FROM ").append(q).append(" q WHERE ");
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
        return insert(route, payload, priority, 0);
    }

    /** {@link #insert(Route, byte[], int)}, not to be delivered before {@code deliverAt} (epoch ms; 0: at once). */
    int insert(Route route, byte[] payload, int priority, long deliverAt) throws SQLException {
        if (route instanceof ToQueues t && t.queues().isEmpty()) {
            return 0;
        }
        PreparedStatement ps = ps(insertSql(route, deliverAt != 0));
        bindRoute(ps, bindMessage(ps, payload, priority, deliverAt), route);
        return ps.executeUpdate();
    }

    /** Binds a message's parameters; returns the index of the route's first. */
    private static int bindMessage(PreparedStatement ps, byte[] payload, int priority, long deliverAt) throws SQLException {
        ps.setString(1, new String(payload, StandardCharsets.UTF_8));
        ps.setInt(2, priority);
        if (deliverAt == 0) {
            return 3;
        }
        ps.setLong(3, deliverAt);
        return 4;
    }

    /** A publish waiting in a batch; {@code deliverAt} as in {@link #insert(Route, byte[], int, long)}. */
    record Pending(Route route, byte[] payload, int priority, long deliverAt) {
        Pending(Route route, byte[] payload, int priority) {
            this(route, payload, priority, 0);
        }
    }

    /** Inserts a batch in one transaction; returns the rows each publish made, in order. */
    int[] insertBatch(List<Pending> batch) throws SQLException {
        return inTransaction(() -> {
            int[] rows = new int[batch.size()];
            int i = 0;
            while (i < batch.size()) {
                // Consecutive publishes with one statement shape go as one JDBC batch (one round trip).
                String sql = insertSql(batch.get(i).route(), batch.get(i).deliverAt() != 0);
                PreparedStatement ps = ps(sql);
                int start = i;
                while (i < batch.size() && (i == start || insertSql(batch.get(i).route(), batch.get(i).deliverAt() != 0).equals(sql))) {
                    Pending p = batch.get(i);
                    if (p.route() instanceof ToQueues t && t.queues().isEmpty()) {
                        break;
                    }
                    bindRoute(ps, bindMessage(ps, p.payload(), p.priority(), p.deliverAt()), p.route());
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
}
