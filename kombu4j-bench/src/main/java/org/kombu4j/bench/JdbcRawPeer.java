package org.kombu4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * JDBC used directly, in this process, doing the SQL transport's job with no library around it: a table of its
 * own shaped like Kombu's {@code kombu_message} ({@code id, queue_id, visible, payload TEXT} plus
 * {@code lease_until}) named {@code bench_jdbc_<random>} in the same database, created for the run and dropped
 * after it. Bodies are made by {@link Bodies} and serialized with Jackson (the payload is the body's JSON, about
 * {@code --body-bytes} long; the transport stores Kombu's envelope around a base64 body, ~1.6× that).
 *
 * <ul>
 *   <li>{@code publish}: one {@code INSERT} per message, auto-commit.
 *   <li>{@code publish-async}: JDBC batches of {@value #BATCH} (the transport's {@code publish_pipeline}), one
 *       transaction per batch; PostgreSQL with {@code reWriteBatchedInserts=true}, MariaDB with
 *       {@code rewriteBatchedStatements=true}.
 *   <li>{@code consume-ack}: claims up to the prefetch per statement, {@code UPDATE ... SET visible = FALSE,
 *       lease_until = ? WHERE id IN (SELECT id ... WHERE visible ORDER BY id LIMIT P FOR UPDATE SKIP LOCKED)
 *       RETURNING id, payload} (SQLite: the same without the lock clause inside {@code BEGIN IMMEDIATE}; MariaDB,
 *       which has no {@code UPDATE ... RETURNING}: {@code SELECT ... FOR UPDATE SKIP LOCKED} then {@code UPDATE}
 *       in one transaction), decodes each payload with Jackson to read its {@code seq}, then deletes the batch's
 *       ids in one {@code DELETE}.
 *   <li>{@code consume-noack}: claims by {@code DELETE ... RETURNING id, payload}.
 * </ul>
 *
 * <p>CPU is this whole process's ({@link ProcessCpu}), as for kombu4j.
 */
final class JdbcRawPeer implements Peer {
    static final String NAME = "jdbc";
    /** Rows per JDBC batch for publish-async: the transport's {@code publish_pipeline} in {@link AsyncPublish}. */
    static final int BATCH = AsyncPublish.SQL_PIPELINE;
    /** The lease a claim takes, as the transport's default visibility timeout (1 hour, Kombu's). */
    static final long LEASE_MS = TimeUnit.HOURS.toMillis(1);
    private static final int QUEUE_ID = 1;
    private static final int PREFILL_BATCH = 1000;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean inProcess() {
        return true;
    }

    @Override
    public boolean supports(Scenario scenario, String url) {
        return SqlTarget.isSql(url) && (scenario == Scenario.PUBLISH || scenario == Scenario.PUBLISH_ASYNC
                || scenario == Scenario.CONSUME_ACK || scenario == Scenario.CONSUME_NOACK);
    }

    @Override
    public List<Measurement> run(Scenario scenario, Settings s, int round, Deadline deadline, PrintStream err) {
        SqlTarget target = SqlTarget.parse(s.url());
        Measurement m = new Measurement(NAME, target.dialect(), scenario.cliName());
        m.put("round", round).put("body_bytes", s.bodyBytes()).put("queues", 1).put("connections", 1);
        byte[] id = new byte[5];
        RANDOM.nextBytes(id);
        Table t = new Table(target.dialect(), "bench_jdbc_" + HexFormat.of().formatHex(id));
        err.println("[bench] " + NAME + " " + scenario.cliName() + " #" + round + " on table " + t.name);
        try (Connection c = target.connect()) {
            t.create(c);
            try {
                switch (scenario) {
                    case PUBLISH:
                        publish(c, t, m, s, false, deadline);
                        break;
                    case PUBLISH_ASYNC:
                        publish(c, t, m, s, true, deadline);
                        break;
                    case CONSUME_ACK:
                        consume(c, t, m, s, true, deadline);
                        break;
                    case CONSUME_NOACK:
                        consume(c, t, m, s, false, deadline);
                        break;
                    default:
                        throw new IllegalArgumentException(NAME + " has no " + scenario.cliName() + " scenario");
                }
            } finally {
                try {
                    if (!c.getAutoCommit()) {
                        c.rollback();
                        c.setAutoCommit(true);
                    }
                    t.drop(c);
                } catch (SQLException e) {
                    err.println("[bench] cleanup: cannot drop table " + t.name + ": " + e.getMessage());
                }
            }
        } catch (SQLException | IOException | RuntimeException e) {
            m.error(Measurement.describe(e));
        }
        return List.of(m);
    }

    // ---- publish ----

    private static void publish(Connection c, Table t, Measurement m, Settings s, boolean batched, Deadline deadline)
            throws SQLException, IOException {
        int n = s.messages();
        Bodies bodies = new Bodies(s.bodyBytes());
        Histogram calls = new Histogram(3);
        c.setAutoCommit(!batched);
        TimedSection.settle();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        try (PreparedStatement ins = c.prepareStatement(t.insert)) {
            int pending = 0;
            for (int i = 0; i < n; i++) {
                long st = System.nanoTime();
                ins.setInt(1, QUEUE_ID);
                ins.setString(2, JSON.writeValueAsString(bodies.body(i)));
                if (batched) {
                    ins.addBatch();
                    if (++pending == BATCH) {
                        ins.executeBatch();
                        c.commit();
                        pending = 0;
                    }
                } else {
                    ins.executeUpdate();
                }
                calls.recordValue(Math.max(0, System.nanoTime() - st));
                if ((i & 4095) == 4095) {
                    deadline.check("publishing");
                }
            }
            if (pending > 0) {
                ins.executeBatch();
                c.commit();
            }
        }
        long t1 = System.nanoTime();
        long cpu = ProcessCpu.nanos() - cpu0;
        c.setAutoCommit(true);
        long queued = t.countVisible(c);
        m.throughput(n, t1 - t0, cpu);
        m.put("missing", Math.max(0, n - queued)).put("duplicates", Math.max(0, queued - n));
        m.latencies(calls, 1e6).put("latency_of", "publish_call");
        m.put("publish_mode", batched ? "jdbc-batch:" + BATCH + ", a transaction per batch" : "autocommit insert");
        if (queued != n) {
            m.error(queued + " rows in the table after publishing " + n);
        }
    }

    // ---- consume ----

    private static void consume(Connection c, Table t, Measurement m, Settings s, boolean ack, Deadline deadline)
            throws SQLException, IOException {
        int n = s.messages();
        int prefetch = s.prefetch() == 0 ? 1000 : s.prefetch();
        m.put("prefetch", prefetch);
        prefill(c, t, n, s, deadline);
        SequenceTracker seen = new SequenceTracker(n);
        List<Long> ids = new ArrayList<>(prefetch);
        long claims = 0;
        // SQLite and MariaDB claim in explicit transactions; PostgreSQL's claim is one auto-committed statement.
        c.setAutoCommit(t.dialect.equals(SqlTarget.POSTGRESQL));
        TimedSection.settle();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        try (Claimer claimer = new Claimer(c, t, prefetch, ack)) {
            while (seen.received() < n && !deadline.passed()) {
                ids.clear();
                try (ResultSet rs = claimer.claim()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                        seen.see(Bodies.seqOf(JSON.readValue(rs.getString(2), Map.class)));
                    }
                }
                claimer.afterClaim(ids);
                claims++;
                if (ids.isEmpty()) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    continue;
                }
                if (ack) {
                    claimer.delete(ids);
                }
            }
        }
        long t1 = System.nanoTime();
        long cpu = ProcessCpu.nanos() - cpu0;
        if (!c.getAutoCommit()) {
            c.setAutoCommit(true);
        }
        m.throughput(seen.received(), t1 - t0, cpu);
        m.put("messages", n).put("received", seen.received());
        m.put("missing", seen.missing()).put("duplicates", seen.duplicates()).put("claims", claims);
        m.put("consume_mode", ack ? "claim UPDATE..RETURNING + batched DELETE" : "claim DELETE..RETURNING");
        long left = t.countAll(c);
        if (seen.foreign() > 0) {
            m.error(seen.foreign() + " rows without a sequence number of this run");
        }
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + n + " messages before the deadline of "
                    + deadline.budget().toSeconds() + " s");
        } else if (left != 0) {
            m.error(left + " rows left in the table after consuming every message");
        }
    }

    /** Fills the table with N bodies, untimed, in transactions of {@value #PREFILL_BATCH} rows. */
    private static void prefill(Connection c, Table t, int n, Settings s, Deadline deadline)
            throws SQLException, IOException {
        Bodies bodies = new Bodies(s.bodyBytes());
        c.setAutoCommit(false);
        try (PreparedStatement ins = c.prepareStatement(t.insert)) {
            for (int i = 0; i < n; i++) {
                ins.setInt(1, QUEUE_ID);
                ins.setString(2, JSON.writeValueAsString(bodies.body(i)));
                ins.addBatch();
                if ((i + 1) % PREFILL_BATCH == 0 || i == n - 1) {
                    ins.executeBatch();
                    c.commit();
                    deadline.check("pre-filling the table");
                }
            }
        } finally {
            c.setAutoCommit(true);
        }
        long queued = t.countVisible(c);
        if (queued != n) {
            throw new IllegalStateException("table holds " + queued + " rows after pre-filling " + n);
        }
    }

    /** The claim and delete statements of one consume run, prepared once. */
    private static final class Claimer implements AutoCloseable {
        private final Connection c;
        private final Table t;
        private final int prefetch;
        private final boolean ack;
        private final PreparedStatement claim;
        private final PreparedStatement deleteFull;

        Claimer(Connection c, Table t, int prefetch, boolean ack) throws SQLException {
            this.c = c;
            this.t = t;
            this.prefetch = prefetch;
            this.ack = ack;
            this.claim = c.prepareStatement(t.claimSql(ack));
            this.deleteFull = c.prepareStatement(t.deleteSql(prefetch));
        }

        /** Runs the claim; the caller reads (then closes) the rows, then calls {@link #afterClaim}. */
        ResultSet claim() throws SQLException {
            int i = 1;
            if (t.claimSetsLease(ack)) {
                claim.setLong(i++, System.currentTimeMillis() + LEASE_MS);
            }
            claim.setInt(i++, QUEUE_ID);
            claim.setInt(i, prefetch);
            return claim.executeQuery();
        }

        /** Completes the claim: MariaDB marks the rows it selected; SQLite and MariaDB commit. */
        void afterClaim(List<Long> ids) throws SQLException {
            if (ack && !t.claimSetsLease(true) && !ids.isEmpty()) {
                try (PreparedStatement up = c.prepareStatement(t.markSql(ids.size()))) {
                    up.setLong(1, System.currentTimeMillis() + LEASE_MS);
                    for (int k = 0; k < ids.size(); k++) {
                        up.setLong(k + 2, ids.get(k));
                    }
                    up.executeUpdate();
                }
            }
            if (!c.getAutoCommit()) {
                c.commit();
            }
        }

        /** Acknowledges a batch: one DELETE of its ids. */
        void delete(List<Long> ids) throws SQLException {
            if (t.dialect.equals(SqlTarget.POSTGRESQL)) {
                Array arr = c.createArrayOf("bigint", ids.toArray());
                deleteFull.setArray(1, arr);
                deleteFull.executeUpdate();
                arr.free();
            } else if (ids.size() == prefetch) {
                bind(deleteFull, ids);
                deleteFull.executeUpdate();
            } else {
                try (PreparedStatement del = c.prepareStatement(t.deleteSql(ids.size()))) {
                    bind(del, ids);
                    del.executeUpdate();
                }
            }
            if (!c.getAutoCommit()) {
                c.commit();
            }
        }

        private static void bind(PreparedStatement ps, List<Long> ids) throws SQLException {
            for (int k = 0; k < ids.size(); k++) {
                ps.setLong(k + 1, ids.get(k));
            }
        }

        @Override
        public void close() throws SQLException {
            claim.close();
            deleteFull.close();
        }
    }

    /** The peer's table and the SQL for it in one dialect. */
    static final class Table {
        final String dialect;
        final String name;
        final String insert;

        Table(String dialect, String name) {
            this.dialect = dialect;
            this.name = name;
            this.insert = "INSERT INTO " + name + " (queue_id, visible, payload) VALUES (?, TRUE, ?)";
        }

        /**
         * Kombu's columns (ids from an identity/auto-increment column rather than a sequence object) and an index a
         * developer would give a queue table: the visible rows of a queue in id order (partial where the database
         * has partial indexes).
         */
        void create(Connection c) throws SQLException {
            List<String> ddl = new ArrayList<>();
            switch (dialect) {
                case SqlTarget.POSTGRESQL:
                    ddl.add("CREATE TABLE " + name + " (id BIGSERIAL PRIMARY KEY, queue_id INTEGER NOT NULL,"
                            + " visible BOOLEAN NOT NULL DEFAULT TRUE, payload TEXT NOT NULL, lease_until BIGINT)");
                    ddl.add("CREATE INDEX " + name + "_claim ON " + name + " (queue_id, id) WHERE visible");
                    break;
                case SqlTarget.SQLITE:
                    ddl.add("CREATE TABLE " + name + " (id INTEGER PRIMARY KEY AUTOINCREMENT, queue_id INTEGER NOT NULL,"
                            + " visible BOOLEAN NOT NULL DEFAULT TRUE, payload TEXT NOT NULL, lease_until INTEGER)");
                    ddl.add("CREATE INDEX " + name + "_claim ON " + name + " (queue_id, id) WHERE visible");
                    break;
                default:
                    ddl.add("CREATE TABLE " + name + " (id BIGINT AUTO_INCREMENT PRIMARY KEY, queue_id INT NOT NULL,"
                            + " visible BOOLEAN NOT NULL DEFAULT TRUE, payload TEXT NOT NULL, lease_until BIGINT NULL,"
                            + " INDEX " + name + "_claim (queue_id, visible, id)) ENGINE=InnoDB");
            }
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                for (String sql : ddl) {
                    st.execute(sql);
                }
            } finally {
                c.setAutoCommit(auto);
            }
        }

        void drop(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + name);
            }
        }

        long countVisible(Connection c) throws SQLException {
            return count(c, "SELECT COUNT(*) FROM " + name + " WHERE queue_id = " + QUEUE_ID + " AND visible");
        }

        long countAll(Connection c) throws SQLException {
            return count(c, "SELECT COUNT(*) FROM " + name);
        }

        private static long count(Connection c, String sql) throws SQLException {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        /** Whether the claim statement itself sets the lease (its first parameter); MariaDB's is a SELECT. */
        boolean claimSetsLease(boolean ack) {
            return ack && !dialect.equals(SqlTarget.MARIADB);
        }

        /** Parameters: [lease_until,] queue_id, limit; returns (id, payload). */
        String claimSql(boolean ack) {
            String lock = dialect.equals(SqlTarget.SQLITE) ? "" : " FOR UPDATE SKIP LOCKED";
            String pick = "SELECT id FROM " + name + " WHERE queue_id = ? AND visible ORDER BY id LIMIT ?" + lock;
            if (dialect.equals(SqlTarget.MARIADB)) {
                return ack ? "SELECT id, payload FROM " + name + " WHERE queue_id = ? AND visible ORDER BY id LIMIT ?" + lock
                        : "DELETE FROM " + name + " WHERE queue_id = ? AND visible ORDER BY id LIMIT ? RETURNING id, payload";
            }
            return ack ? "UPDATE " + name + " SET visible = FALSE, lease_until = ? WHERE id IN (" + pick + ") RETURNING id, payload"
                    : "DELETE FROM " + name + " WHERE id IN (" + pick + ") RETURNING id, payload";
        }

        /** MariaDB's second claim step. Parameters: lease_until, then the ids. */
        String markSql(int ids) {
            return "UPDATE " + name + " SET visible = FALSE, lease_until = ? WHERE id IN (" + marks(ids) + ")";
        }

        /** PostgreSQL: one array parameter; others: {@code ids} parameters. */
        String deleteSql(int ids) {
            return dialect.equals(SqlTarget.POSTGRESQL) ? "DELETE FROM " + name + " WHERE id = ANY(?)"
                    : "DELETE FROM " + name + " WHERE id IN (" + marks(ids) + ")";
        }

        private static String marks(int n) {
            return "?" + ",?".repeat(Math.max(0, n - 1));
        }
    }
}
