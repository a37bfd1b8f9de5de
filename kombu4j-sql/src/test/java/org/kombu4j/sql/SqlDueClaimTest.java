package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Message;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/**
 * Delayed rows at their due time: a consumer takes those it has room for straight from their waiting state, and the
 * rest are released (visible, never taken) for any consumer, Python Kombu's included, instead of waiting for the
 * regular lease sweep (half a visibility_timeout).
 */
class SqlDueClaimTest {
    private String url;

    @BeforeEach
    void file() {
        url = TestDatabases.sqlite("k4j_dueclaim");
    }

    @AfterEach
    void drop() {
        TestDatabases.drop(url);
    }

    /** Rows of the queue as (visible, delivery_count) counts: [visible and never taken, taken]. */
    private int[] rowStates() throws SQLException {
        String file = url.substring("sqlite:///".length());
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
                ResultSet rs = c.createStatement().executeQuery("SELECT SUM(CASE WHEN visible = 1 AND delivery_count = 0 THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN visible = 0 AND delivery_count = 1 THEN 1 ELSE 0 END) FROM kombu_message")) {
            rs.next();
            return new int[] {rs.getInt(1), rs.getInt(2)};
        }
    }

    @Test
    void dueRowsAConsumerHasNoRoomForAreReleasedForOthers() throws Exception {
        List<Message> held = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(url)) {
            Queue q = Queue.of("due.q");
            c.channel().declareQueue(q, false);
            c.consumer(q).prefetch(2).onMessage((body, m) -> held.add(m)).consume(); // never acknowledged
            c.drainEvents(Duration.ofMillis(100));
            Instant due = Instant.now().plusMillis(500);
            Producer p = c.producer();
            for (int i = 0; i < 10; i++) {
                p.publish("m" + i, PublishOptions.builder().routingKey(q.name()).eta(due).build());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (held.size() < 2 && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(50));
            }
            assertThat(held).as("taken when due, as many as the prefetch").hasSize(2);
            assertThat(Instant.now()).isAfterOrEqualTo(due);
            // The regular sweep would come 15 s (half the default lease) after the consumer started: 5 s is short of it.
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int[] states = rowStates();
            while (states[0] < 8 && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(100));
                states = rowStates();
            }
            assertThat(states).as("[ready, taken] rows").containsExactly(8, 2);
            assertThat(held).hasSize(2);
        }
    }

    /** Rounds of {@link #takeAheadRound} at most, for one in which the fetcher was on time to take rows ahead. */
    private static final int TAKE_AHEAD_ROUNDS = 3;

    /**
     * Every round: all rows arrive, none before its due time. At least one round: the rows were taken ahead of it.
     * Taking ahead needs the fetcher's thread to run in the {@value Fetcher#EARLY_MILLIS} ms before the due time;
     * on a machine with more runnable threads than it has CPUs by far (load 11 on 2 cores) a thread waits longer
     * than that for one, and it takes them when due instead, so there a round may show none taken ahead.
     */
    @Test
    void dueRowsAreTakenAheadButHandedOverOnlyWhenDue() throws Exception {
        int takenAhead = 0;
        for (int round = 1; round <= TAKE_AHEAD_ROUNDS && takenAhead != 5; round++) {
            takenAhead = takeAheadRound("early" + round + ".q");
        }
        if (takenAhead != 5) {
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            int cpus = Runtime.getRuntime().availableProcessors();
            Assumptions.assumeTrue(load < 2 * cpus, "no rows taken ahead in " + TAKE_AHEAD_ROUNDS + " rounds at load "
                    + load + " on " + cpus + " CPUs: too busy to tell a late fetcher thread from one that does not");
        }
        assertThat(takenAhead).as("taken ahead of the due time, as many as the prefetch").isEqualTo(5);
    }

    /**
     * 8 rows due at once to a consumer with prefetch 5; asserts that all arrive and none before the due time.
     *
     * @return how many rows had been taken before the due time when the first was handed over (by the claim time
     *     the database recorded, {@code delivered_at}, so the test need not watch the table at the right moment)
     */
    private int takeAheadRound(String queue) throws Exception {
        List<Instant> received = new CopyOnWriteArrayList<>();
        int[] takenAhead = {-1};
        try (Connection c = Connection.open(url)) {
            Queue q = Queue.of(queue);
            c.channel().declareQueue(q, false);
            Instant due = Instant.now().plusMillis(800);
            c.consumer(q).prefetch(5).onMessage((body, m) -> {
                received.add(Instant.now());
                if (takenAhead[0] < 0) { // none acknowledged yet: every row taken so far is still there
                    takenAhead[0] = takenBefore(queue, due.toEpochMilli());
                }
                m.ack();
            }).consume();
            c.drainEvents(Duration.ofMillis(100));
            Producer p = c.producer();
            for (int i = 0; i < 8; i++) {
                p.publish("m" + i, PublishOptions.builder().routingKey(q.name()).eta(due).build());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.size() < 8 && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(50));
            }
            assertThat(received).hasSize(8);
            assertThat(received).as("none handed over before the due time").allSatisfy(t -> assertThat(t).isAfterOrEqualTo(due));
            c.channel().deleteQueue(q.name());
        }
        return takenAhead[0];
    }

    /** Rows of {@code queue} taken once and claimed ({@code delivered_at}, the database's clock) before {@code epochMillis}. */
    private int takenBefore(String queue, long epochMillis) {
        String file = url.substring("sqlite:///".length());
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
                var ps = c.prepareStatement("SELECT COUNT(*) FROM kombu_message WHERE visible = 0 AND delivery_count = 1"
                        + " AND delivered_at < ? AND queue_id = (SELECT id FROM kombu_queue WHERE name = ?)")) {
            ps.setLong(1, epochMillis);
            ps.setString(2, queue);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
