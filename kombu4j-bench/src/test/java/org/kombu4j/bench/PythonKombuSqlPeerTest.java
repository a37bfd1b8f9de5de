package org.kombu4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python Kombu's SQLAlchemy transport as a peer: the URL it is given, and short real runs. */
class PythonKombuSqlPeerTest {
    private static final String DB = "kombu4j_benchtest_py_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    private static final String PG = "postgresql://postgres@127.0.0.1:5432/" + DB;

    @TempDir
    static Path dir;

    @AfterAll
    static void dropDatabase() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", null);
                Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
        }
    }

    @Test
    void sqlUrlsAreGivenToKombuInItsSqlaForm() {
        assertThat(PythonKombuPeer.peerUrl("postgresql://postgres@127.0.0.1:5432/db?publish_pipeline=64"))
                .isEqualTo("sqla+postgresql://postgres@127.0.0.1:5432/db");
        assertThat(PythonKombuPeer.peerUrl("postgres://u:p%40w@localhost/db")).isEqualTo("sqla+postgresql://u:p%40w@localhost/db");
        assertThat(PythonKombuPeer.peerUrl("sqla+postgresql+psycopg2://u@localhost/db"))
                .isEqualTo("sqla+postgresql+psycopg2://u@localhost/db");
        assertThat(PythonKombuPeer.peerUrl("sqlite:////tmp/x/bench.db?polling_interval=1")).isEqualTo("sqla+sqlite:////tmp/x/bench.db");
        assertThat(PythonKombuPeer.peerUrl("sqlite://")).startsWith("sqla+sqlite:////").endsWith("broker.db");
        assertThat(PythonKombuPeer.peerUrl("mysql://root@127.0.0.1:3306/q")).isEqualTo("sqla+mysql+pymysql://root@127.0.0.1:3306/q");
        assertThat(PythonKombuPeer.peerUrl("mariadb://root@127.0.0.1/q")).isEqualTo("sqla+mariadb+pymysql://root@127.0.0.1/q");
        PythonKombuPeer peer = new PythonKombuPeer(Path.of("."));
        assertThat(peer.supports(Scenario.CONSUME_ACK, "postgresql://postgres@127.0.0.1/db")).isTrue();
        assertThat(peer.supports(Scenario.LATENCY, "sqlite:////tmp/b.db")).isTrue();
        assertThat(peer.supports(Scenario.ROUNDTRIP, "sqlite:////tmp/b.db")).isFalse();
    }

    private static Optional<Path> scripts() {
        return Peers.locate(System.getenv(Peers.PEERS_ENV), Path.of("").toAbsolutePath());
    }

    private static Settings settings(String url, double seconds) {
        return new Settings(List.of(Scenario.IDLE), url, 150, 1024, 100, 1, 50, seconds, 1, Set.of(), null);
    }

    @Test
    void publishAndConsumeOnSqliteAndIdleOnPostgresqlWithItsStatementsCounted() throws Exception {
        Optional<Path> d = scripts();
        assumeTrue(d.isPresent() || System.getenv("CI") == null, "bench-peers scripts not found");
        assertThat(d).as("bench-peers scripts").isPresent();
        PythonKombuPeer peer = new PythonKombuPeer(d.get());
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

        String sqlite = "sqlite:///" + dir.resolve("py.db");
        SqlTarget.parse(sqlite).ensureDatabase();
        Measurement ack = peer.run(Scenario.CONSUME_ACK, settings(sqlite, 1), 1, Deadline.in(Duration.ofSeconds(90)), err).get(0);
        assertThat(ack.errors()).as(ack + "\n" + errBytes).isZero();
        assertThat(ack.number("received")).isEqualTo(150.0);
        assertThat(ack.get("transport")).isEqualTo("sqla+sqlite");
        // Kombu's queue delete only purges; the peer removes the queue row it leaves.
        try (Connection c = SqlTarget.parse(sqlite).connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM kombu_queue WHERE name LIKE 'bench.%'")) {
            rs.next();
            assertThat(rs.getLong(1)).isZero();
        }

        assertThat(SqlTarget.parse(PG).ensureDatabase()).isTrue();
        Measurement idle = peer.run(Scenario.IDLE, settings(PG, 4), 1, Deadline.in(Duration.ofSeconds(60)), err).get(0);
        assertThat(idle.errors()).as(idle + "\n" + errBytes).isZero();
        // Kombu polls an empty SQL queue once a second: several statements in 4 s, through one proxied pool.
        assertThat(idle.number("db_statements")).as(idle.toString()).isGreaterThanOrEqualTo(3.0);
        assertThat(idle.number("db_connections")).isGreaterThanOrEqualTo(1.0);
        assertThat(idle.number("cpu_core_share")).isNotNull();
    }
}
