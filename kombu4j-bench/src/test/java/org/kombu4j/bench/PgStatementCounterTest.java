package org.kombu4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The statement-counting proxy in front of the real PostgreSQL on 127.0.0.1:5432. */
class PgStatementCounterTest {
    private static final String URL = "postgresql://postgres@127.0.0.1:5432/postgres?visibility_timeout=5";

    @Test
    void countsSimpleAndPreparedStatementsAndNothingWhileIdle() throws Exception {
        try (PgStatementCounter counter = PgStatementCounter.start(URL)) {
            String proxied = counter.proxiedUrl(URL);
            assertThat(proxied).isEqualTo("postgresql://postgres@127.0.0.1:" + counter.port() + "/postgres?visibility_timeout=5");
            SqlTarget t = SqlTarget.parse(proxied);
            Properties p = t.properties();
            p.setProperty("preferQueryMode", "extended");
            try (Connection c = DriverManager.getConnection(t.jdbcUrl(), p)) {
                long before = System.nanoTime();
                try (PreparedStatement ps = c.prepareStatement("SELECT ?::int + 1")) {
                    for (int i = 0; i < 7; i++) {
                        ps.setInt(1, i);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            assertThat(rs.getInt(1)).isEqualTo(i + 1);
                        }
                    }
                }
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT 'marker'");
                }
                long afterWork = System.nanoTime();
                Thread.sleep(300);
                long afterIdle = System.nanoTime();
                List<PgStatementCounter.Statement> work = counter.betweenNanos(before, afterWork);
                assertThat(work).extracting(PgStatementCounter.Statement::sql).filteredOn(s -> s.contains("+ 1")).hasSize(7);
                assertThat(work).extracting(PgStatementCounter.Statement::sql).filteredOn(s -> s.contains("marker")).hasSize(1);
                assertThat(counter.betweenNanos(afterWork + 1, afterIdle)).isEmpty();
                assertThat(counter.connections()).isEqualTo(1);

                Measurement m = new Measurement("x", "postgresql", "idle");
                PgStatementCounter.report(m, work, 2.0, counter.connections());
                assertThat(m.number("db_statements")).isEqualTo((double) work.size());
                assertThat(m.number("db_statements_per_10s")).isEqualTo(work.size() * 5.0);
                assertThat((Map<?, ?>) m.get("db_statements_by_text")).isNotEmpty();
            }
        }
    }

    @Test
    void hostAndPortAreReplacedInEveryUrlForm() {
        assertThat(SqlTarget.withHostPort("sqla+postgresql://u:p@localhost/db", "127.0.0.1", 7))
                .isEqualTo("sqla+postgresql://u:p@127.0.0.1:7/db");
        assertThat(SqlTarget.withHostPort("postgresql://127.0.0.1:5432?x=1", "127.0.0.1", 7))
                .isEqualTo("postgresql://127.0.0.1:7?x=1");
    }
}
