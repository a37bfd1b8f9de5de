package org.kombu4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link JdbcRawPeer} against the real PostgreSQL, MariaDB and SQLite of the machine, with small counts: every
 * message is published or consumed exactly once, and the peer drops its table. Each database is created for this
 * class (through {@link SqlTarget#ensureDatabase}) and dropped afterwards. No timing is asserted.
 */
class JdbcRawPeerTest {
    private static final String SUFFIX = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    private static final String PG = "postgresql://postgres@127.0.0.1:5432/kombu4j_benchtest_" + SUFFIX;
    private static final String MARIA = "sqla+mysql+pymysql://root@127.0.0.1:3306/kombu4j_benchtest_" + SUFFIX;

    @TempDir
    static Path dir;

    @BeforeAll
    static void createDatabases() throws Exception {
        assertThat(SqlTarget.parse(PG).ensureDatabase()).isTrue();
        assertThat(SqlTarget.parse(PG).ensureDatabase()).isFalse();
        assertThat(SqlTarget.parse(MARIA).ensureDatabase()).isTrue();
    }

    @AfterAll
    static void dropDatabases() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", null);
                Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS kombu4j_benchtest_" + SUFFIX);
        }
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/", "root", null);
                Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS kombu4j_benchtest_" + SUFFIX);
        }
    }

    static List<String> urls() {
        return List.of(PG, MARIA, "sqlite:////" + dir.resolve("sub").resolve("bench.db").toString().substring(1));
    }

    private static Settings settings(String url, int prefetch) {
        return new Settings(List.of(Scenario.PUBLISH), url, 530, 300, prefetch, 1, 200, 1, 1, Set.of(), null);
    }

    @ParameterizedTest
    @MethodSource("urls")
    void everyScenarioMovesEveryMessageOnceAndDropsItsTable(String url) throws Exception {
        SqlTarget target = SqlTarget.parse(url);
        target.ensureDatabase();
        JdbcRawPeer peer = new JdbcRawPeer();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        for (Scenario scenario : List.of(Scenario.PUBLISH, Scenario.PUBLISH_ASYNC, Scenario.CONSUME_ACK,
                Scenario.CONSUME_NOACK)) {
            assertThat(peer.supports(scenario, url)).isTrue();
            // 530 messages with a prefetch of 100: the last claim is a partial batch.
            List<Measurement> ms = peer.run(scenario, settings(url, 100), 1, Deadline.in(Duration.ofSeconds(60)), err);
            assertThat(ms).hasSize(1);
            Measurement m = ms.get(0);
            assertThat(m.errors()).as(m + "\n" + errBytes).isZero();
            assertThat(m.system()).isEqualTo("jdbc");
            assertThat(m.get("transport")).isEqualTo(target.dialect());
            assertThat(m.number("messages")).isEqualTo(530.0);
            assertThat(m.number("missing")).isZero();
            assertThat(m.number("duplicates")).isZero();
            assertThat(m.number("msgs_per_s")).isPositive();
            if (!scenario.cliName().startsWith("publish")) {
                assertThat(m.number("received")).isEqualTo(530.0);
                assertThat(m.number("claims")).isGreaterThanOrEqualTo(6.0);
            }
        }
        assertThat(peer.supports(Scenario.LATENCY, url)).isFalse();
        assertThat(tablesNamedBenchJdbc(target)).isZero();
    }

    @ParameterizedTest
    @MethodSource("urls")
    void anUnlimitedPrefetchStillClaimsInBatches(String url) throws Exception {
        SqlTarget.parse(url).ensureDatabase();
        List<Measurement> ms = new JdbcRawPeer().run(Scenario.CONSUME_ACK, settings(url, 0), 1,
                Deadline.in(Duration.ofSeconds(60)), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(ms.get(0).errors()).as(ms.get(0).toString()).isZero();
        assertThat(ms.get(0).number("received")).isEqualTo(530.0);
    }

    private static long tablesNamedBenchJdbc(SqlTarget t) throws Exception {
        String sql;
        switch (t.dialect()) {
            case SqlTarget.SQLITE:
                assertThat(Files.exists(Path.of(t.database()))).isTrue();
                sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'bench_jdbc_%'";
                break;
            case SqlTarget.POSTGRESQL:
                sql = "SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'bench_jdbc_%'";
                break;
            default:
                sql = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
                        + " AND table_name LIKE 'bench_jdbc_%'";
        }
        try (Connection c = t.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
