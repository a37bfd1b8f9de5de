package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.virtual.EnvelopeWriter;

/**
 * SQLite wake-ups without help from this JVM: rows inserted through a plain JDBC connection (as
 * another process, or Python Kombu, would) are found by the idle probe, again and again, including
 * after WAL checkpoints.
 */
class SqlSqliteWakeupTest {
    private String url;

    @BeforeEach
    void file() {
        url = TestDatabases.sqlite("k4j_wakeup");
    }

    @AfterEach
    void drop() {
        TestDatabases.drop(url);
    }

    private void insertAsAnotherProcessWould(String queue, String body, boolean checkpoint) throws SQLException {
        byte[] payload = EnvelopeWriter.encode("", queue, new RawMessage(body.getBytes(StandardCharsets.UTF_8),
                "text/plain", "utf-8", Map.of(), Map.of("delivery_mode", 2, "priority", 0)));
        String file = url.substring("sqlite:///".length());
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
                PreparedStatement ps = c.prepareStatement("INSERT INTO kombu_message (visible, payload, version, queue_id) "
                        + "SELECT 1, ?, 1, id FROM kombu_queue WHERE name = ?")) {
            ps.setString(1, new String(payload, StandardCharsets.US_ASCII));
            ps.setString(2, queue);
            assertThat(ps.executeUpdate()).isEqualTo(1);
            if (checkpoint) {
                c.createStatement().execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
        }
    }

    @Test
    void aWaitingConsumerFindsRowsOthersInsert() throws Exception {
        List<String> got = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(url)) {
            c.consumer(Queue.of("wake.q")).onMessage((body, m) -> {
                got.add(String.valueOf(body));
                m.ack();
            }).consume();
            c.drainEvents(Duration.ofMillis(500)); // idle long enough to back off fully
            for (int i = 0; i < 6; i++) {
                insertAsAnotherProcessWould("wake.q", "m" + i, i % 2 == 1);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (got.size() <= i && System.nanoTime() < deadline) {
                    c.drainEvents(Duration.ofMillis(100));
                }
                assertThat(got).as("after insert %d", i).hasSize(i + 1);
                c.drainEvents(Duration.ofMillis(150)); // idle again between inserts
            }
            assertThat(got).containsExactly("m0", "m1", "m2", "m3", "m4", "m5");
        }
    }
}
