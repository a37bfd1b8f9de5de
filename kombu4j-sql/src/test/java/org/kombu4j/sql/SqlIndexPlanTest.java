package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Queue;

/**
 * The partial indexes kombu4j makes in place of Kombu's full ones serve every query that reads the message table:
 * Python Kombu's get (as its SQLAlchemy transport writes it), our claim and our lease sweep. A plan that fell back
 * to a scan would still return the right rows, only slower with every row queued, so the plans are checked here.
 */
class SqlIndexPlanTest {
    private static final String PYTHON_GET_PG = "SELECT kombu_message.id FROM kombu_message WHERE kombu_message.queue_id = 1 "
            + "AND kombu_message.visible != false ORDER BY kombu_message.timestamp, kombu_message.id LIMIT 1 FOR UPDATE";
    private static final String PYTHON_GET_SQLITE = "SELECT kombu_message.id FROM kombu_message WHERE kombu_message.queue_id = ? "
            + "AND kombu_message.visible != 0 ORDER BY kombu_message.timestamp, kombu_message.id LIMIT ? OFFSET ?";
    private String url;

    @AfterEach
    void drop() {
        if (url != null) {
            TestDatabases.drop(url);
        }
    }

    @Test
    void postgresQueriesUseThePartialIndexes() throws Exception {
        url = TestDatabases.postgres("k4j_plan");
        declare();
        try (var c = DriverManager.getConnection("jdbc:" + url.replace("postgres@", "") + "?user=postgres");
                Statement st = c.createStatement()) {
            assertThat(indexes(st, "SELECT indexname FROM pg_indexes WHERE tablename = 'kombu_message'"))
                    .containsExactlyInAnyOrder("kombu_message_pkey", "ix_kombu4j_kombu_message_fifo",
                            "ix_kombu4j_kombu_message_claim", "ix_kombu4j_kombu_message_taken");
            // The tables are nearly empty, where a scan is the cheaper plan; what is checked is that the index serves.
            st.execute("SET enable_seqscan = off");
            assertThat(plan(st, "EXPLAIN " + PYTHON_GET_PG)).contains("ix_kombu4j_kombu_message_fifo");
            assertThat(plan(st, "EXPLAIN SELECT id FROM kombu_message WHERE queue_id = 1 AND visible = TRUE "
                    + "ORDER BY priority DESC, id LIMIT 10 FOR UPDATE SKIP LOCKED")).contains("ix_kombu4j_kombu_message_claim");
            assertThat(plan(st, "EXPLAIN UPDATE kombu_message SET visible = TRUE, lease_until = NULL WHERE lease_until < 5 "
                    + "AND visible = FALSE AND queue_id IN (1, 2)")).contains("ix_kombu4j_kombu_message_taken");
            // The sweep as it runs there (queue ids as an array), and the look-up of the next due time.
            assertThat(plan(st, "EXPLAIN UPDATE kombu_message SET visible = TRUE, lease_until = NULL WHERE lease_until < 5 "
                    + "AND visible = FALSE AND queue_id = ANY ('{1,2}'::bigint[])")).contains("ix_kombu4j_kombu_message_taken");
            assertThat(plan(st, "EXPLAIN SELECT MIN(lease_until) FROM kombu_message WHERE visible = FALSE AND queue_id IN (1, 2)"))
                    .contains("ix_kombu4j_kombu_message_taken");
        }
    }

    /**
     * The fetcher's connection keeps one generic plan per statement ({@link SqlStore#reuseClaimPlans}): the claim is
     * then planned once, not at every execution, and each statement the fetcher runs still reads its index with the
     * values it will get known only at execution.
     */
    @Test
    void postgresFetcherPlansOnceAndItsGenericPlansUseTheIndexes() throws Exception {
        url = TestDatabases.postgres("k4j_plan");
        try (Connection c = Connection.open(url)) {
            c.channel().declareQueue(Queue.of("plan"), false);
            var p = c.producer();
            for (int i = 0; i < 40; i++) {
                p.publish("m" + i, org.kombu4j.PublishOptions.builder().routingKey("plan").build());
            }
        }
        try (SqlStore s = SqlStore.open(SqlUrl.of(org.kombu4j.BrokerUrl.parse(url)), null)) {
            s.reuseClaimPlans();
            try (ResultSet rs = s.ps("SHOW plan_cache_mode").executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("force_generic_plan");
            }
            long q = s.catalog().queueId("plan");
            List<Long> acked = List.of();
            int got = 0;
            for (int i = 0; i < 8; i++) { // past the driver's prepareThreshold (5): then a statement prepared on the server
                List<SqlStore.Claimed> rows = s.claim(q, 2, System.currentTimeMillis() + 60_000, acked);
                got += rows.size();
                acked = rows.stream().map(SqlStore.Claimed::id).toList();
            }
            assertThat(got).isEqualTo(16);
            try (ResultSet rs = s.ps("SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) FROM pg_prepared_statements "
                    + "WHERE statement LIKE 'WITH gone AS%LIMIT 2 %'").executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).as("claims run on one generic plan").isPositive();
                assertThat(rs.getLong(2)).as("claims planned afresh").isZero();
            }
        }
        try (var c = DriverManager.getConnection("jdbc:" + url.replace("postgres@", "") + "?user=postgres");
                Statement st = c.createStatement()) {
            st.execute("SET enable_seqscan = off");
            st.execute("SET plan_cache_mode = force_generic_plan");
            String m = "kombu_message";
            st.execute("PREPARE claim(bigint[], bigint, bigint) AS WITH gone AS (DELETE FROM " + m + " WHERE id = ANY ($1)) UPDATE " + m
                    + " SET visible = FALSE, lease_until = $2 WHERE id IN (SELECT id FROM " + m + " WHERE queue_id = $3 AND visible = TRUE "
                    + "ORDER BY priority DESC, id LIMIT 50 FOR UPDATE SKIP LOCKED) RETURNING id");
            assertThat(plan(st, "EXPLAIN EXECUTE claim('{1}', 1, 1)")).contains("ix_kombu4j_kombu_message_claim").contains(m + "_pkey");
            st.execute("PREPARE due(bigint[], bigint, bigint, bigint, int) AS WITH gone AS (DELETE FROM " + m + " WHERE id = ANY ($1)) "
                    + "UPDATE " + m + " SET lease_until = $2 WHERE id IN (SELECT id FROM " + m + " WHERE queue_id = $3 AND visible = FALSE "
                    + "AND lease_until < $4 AND delivery_count = 0 ORDER BY lease_until LIMIT $5 FOR UPDATE SKIP LOCKED) RETURNING id");
            assertThat(plan(st, "EXPLAIN EXECUTE due('{1}', 1, 1, 5, 10)")).contains("ix_kombu4j_kombu_message_taken");
            st.execute("PREPARE sweep(bigint, bigint[]) AS UPDATE " + m + " SET visible = TRUE, lease_until = NULL WHERE lease_until < $1 "
                    + "AND visible = FALSE AND queue_id = ANY ($2)");
            assertThat(plan(st, "EXPLAIN EXECUTE sweep(5, '{1}')")).contains("ix_kombu4j_kombu_message_taken");
            st.execute("PREPARE next_due(bigint) AS SELECT MIN(lease_until) FROM " + m + " WHERE visible = FALSE AND queue_id IN ($1)");
            assertThat(plan(st, "EXPLAIN EXECUTE next_due(1)")).contains("ix_kombu4j_kombu_message_taken");
            st.execute("PREPARE del(bigint[]) AS DELETE FROM " + m + " WHERE id = ANY ($1)");
            assertThat(plan(st, "EXPLAIN EXECUTE del('{1}')")).contains(m + "_pkey");
        }
    }

    @Test
    void sqliteQueriesUseThePartialIndexes() throws Exception {
        url = TestDatabases.sqlite("plan");
        declare();
        String file = url.substring("sqlite:///".length());
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            assertThat(indexes(st, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'kombu_message' "
                    + "AND sql IS NOT NULL")).containsExactlyInAnyOrder("ix_kombu4j_kombu_message_fifo",
                            "ix_kombu4j_kombu_message_claim", "ix_kombu4j_kombu_message_taken");
            assertThat(plan(st, "EXPLAIN QUERY PLAN " + PYTHON_GET_SQLITE.replaceFirst("\\?", "1").replaceFirst("\\?", "1")
                    .replaceFirst("\\?", "0"))).contains("ix_kombu4j_kombu_message_fifo").doesNotContain("TEMP B-TREE");
            assertThat(plan(st, "EXPLAIN QUERY PLAN SELECT id FROM kombu_message WHERE queue_id = 1 AND visible = 1 "
                    + "ORDER BY priority DESC, id LIMIT 10")).contains("ix_kombu4j_kombu_message_claim").doesNotContain("TEMP B-TREE");
            assertThat(plan(st, "EXPLAIN QUERY PLAN UPDATE kombu_message SET visible = 1, lease_until = NULL WHERE lease_until < 5 "
                    + "AND visible = 0 AND queue_id IN (1, 2)")).contains("ix_kombu4j_kombu_message_taken");
            assertThat(plan(st, "EXPLAIN QUERY PLAN SELECT MIN(lease_until) FROM kombu_message WHERE visible = 0 AND queue_id IN (1, 2)"))
                    .contains("ix_kombu4j_kombu_message_taken");
        }
    }

    private void declare() {
        try (Connection c = Connection.open(url)) {
            c.channel().declareQueue(Queue.of("plan"), false);
        }
    }

    private static List<String> indexes(Statement st, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static String plan(Statement st, String sql) throws SQLException {
        StringBuilder sb = new StringBuilder();
        try (ResultSet rs = st.executeQuery(sql)) {
            int cols = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                sb.append(rs.getString(cols)).append('\n');
            }
        }
        return sb.toString();
    }
}
