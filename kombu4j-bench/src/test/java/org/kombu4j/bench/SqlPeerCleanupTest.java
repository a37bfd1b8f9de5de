package org.kombu4j.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The VACUUM the harness runs before a kombu4j round on a PostgreSQL server without autovacuum. */
class SqlPeerCleanupTest {
    private static final String DB = "kombu4j_benchtest_vac_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    private static final String PG = "postgresql://postgres@127.0.0.1:5432/" + DB;

    @BeforeAll
    static void createDatabase() throws SQLException {
        try (Connection c = admin(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + DB);
        }
    }

    @AfterAll
    static void dropDatabase() throws SQLException {
        try (Connection c = admin(); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
        }
    }

    private static Connection admin() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", null);
    }

    @Test
    void deadRowsOfEarlierRoundsMakeRoomForTheNextWhenAutovacuumIsOff() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/" + DB, "postgres", null);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE kombu_message (id SERIAL PRIMARY KEY, payload TEXT NOT NULL)");
            String fill = "INSERT INTO kombu_message (payload) SELECT repeat('x', 1500) FROM generate_series(1, 2000)";
            st.execute(fill);
            st.execute("DELETE FROM kombu_message");
            long before = size(st);
            boolean off;
            try (ResultSet rs = st.executeQuery("SELECT current_setting('autovacuum') = 'off'")) {
                rs.next();
                off = rs.getBoolean(1);
            }
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            SqlPeerCleanup.vacuumKombu4jTable(PG, new PrintStream(err, true, StandardCharsets.UTF_8));
            String said = err.toString(StandardCharsets.UTF_8);
            st.execute(fill);
            if (off) {
                assertThat(said).contains("VACUUM kombu_message before the kombu4j round");
                assertThat(size(st)).isEqualTo(before); // the second round's rows went where the first's were
            } else {
                assertThat(said).isEmpty(); // autovacuum's job there
            }
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SqlPeerCleanup.vacuumKombu4jTable("sqlite:////tmp/none.db", new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    private static long size(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT pg_relation_size('kombu_message')")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
