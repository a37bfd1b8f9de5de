package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.virtual.EnvelopeWriter;

/**
 * PostgreSQL wake-ups: an idle consumer runs no query (its backends' {@code query_start} stays put),
 * and a row inserted by someone else, with plain SQL as Python Kombu writes it, wakes it through the
 * table's trigger and LISTEN, on a Hub and in a drain loop.
 */
class SqlPostgresWakeupTest {
    private static String url;
    private static String jdbc;

    @BeforeAll
    static void database() {
        url = TestDatabases.postgres("k4j_wakeup");
        jdbc = "jdbc:postgresql://127.0.0.1:5432/" + url.substring(url.lastIndexOf('/') + 1);
    }

    @AfterAll
    static void drop() {
        if (url != null) {
            TestDatabases.drop(url);
        }
    }

    /** Inserts a message the way Python Kombu's SQLAlchemy transport does: no notify of its own, no extra columns. */
    private static void insertAsKombuWould(String queue, String body) throws SQLException {
        byte[] payload = EnvelopeWriter.encode("", queue, new RawMessage(body.getBytes(StandardCharsets.UTF_8),
                "text/plain", "utf-8", Map.of(), Map.of("delivery_mode", 2, "priority", 0)));
        try (var c = DriverManager.getConnection(jdbc, "postgres", null);
                PreparedStatement ps = c.prepareStatement("INSERT INTO kombu_message (id, visible, payload, version, queue_id) "
                        + "SELECT nextval('message_id_sequence'), TRUE, ?, 1, id FROM kombu_queue WHERE name = ?")) {
            ps.setString(1, new String(payload, StandardCharsets.US_ASCII));
            ps.setString(2, queue);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    /** Each backend of this database (but the caller's) and when its last query started. */
    private static Map<Integer, String> queryStarts() throws SQLException {
        Map<Integer, String> out = new HashMap<>();
        try (var c = DriverManager.getConnection(jdbc, "postgres", null);
                PreparedStatement ps = c.prepareStatement("SELECT pid, query_start::text, query FROM pg_stat_activity "
                        + "WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getInt(1), rs.getString(2) + " " + rs.getString(3));
                }
            }
        }
        return out;
    }

    @Test
    void idleConsumerOnAHubRunsNoQueryAndANotifyWakesIt() throws Exception {
        String q = "wake.hub";
        List<String> got = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        try (Hub hub = new Hub(); Connection c = Connection.open(url)) {
            Thread loop = new Thread(hub::runForever, "hub-loop");
            loop.start();
            c.registerWithEventLoop(hub);
            c.consumer(Queue.of(q)).onMessage((body, m) -> {
                got.add(String.valueOf(body));
                threads.add(Thread.currentThread().getName());
                m.ack();
            }).consume();
            Thread.sleep(1500); // the first claim and sweep are done
            Map<Integer, String> before = queryStarts();
            assertThat(before).as("consumer backends").hasSizeGreaterThanOrEqualTo(2);
            Thread.sleep(3000);
            Map<Integer, String> after = queryStarts();
            assertThat(after).as("no query while idle (pid -> query_start and query)").isEqualTo(before);

            insertAsKombuWould(q, "from plain SQL");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(got).containsExactly("from plain SQL");
            assertThat(threads).containsOnly("hub-loop");
            hub.stop();
            loop.join(2000);
        }
    }

    @Test
    void aDrainingConsumerIsWokenByANotifyToo() throws Exception {
        String q = "wake.drain";
        List<String> got = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(url)) {
            c.consumer(Queue.of(q)).onMessage((body, m) -> {
                got.add(String.valueOf(body));
                m.ack();
            }).consume();
            c.drainEvents(Duration.ofMillis(300));
            insertAsKombuWould(q, "one");
            insertAsKombuWould(q, "two");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got.size() < 2 && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(200));
            }
            assertThat(got).containsExactly("one", "two");
        }
    }
}
