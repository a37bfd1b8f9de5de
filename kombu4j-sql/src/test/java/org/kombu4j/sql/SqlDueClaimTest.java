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

    @Test
    void dueRowsAreTakenAheadButHandedOverOnlyWhenDue() throws Exception {
        List<Instant> received = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(url)) {
            Queue q = Queue.of("early.q");
            c.channel().declareQueue(q, false);
            c.consumer(q).prefetch(5).onMessage((body, m) -> {
                received.add(Instant.now());
                m.ack();
            }).consume();
            c.drainEvents(Duration.ofMillis(100));
            Instant due = Instant.now().plusMillis(800);
            Producer p = c.producer();
            for (int i = 0; i < 8; i++) {
                p.publish("m" + i, PublishOptions.builder().routingKey(q.name()).eta(due).build());
            }
            // Not draining: the fetcher's thread takes the rows on its own; watch the table until just before the due time.
            int takenBeforeDue = 0;
            while (Instant.now().isBefore(due.minusMillis(2))) {
                takenBeforeDue = Math.max(takenBeforeDue, rowStates()[1]);
            }
            assertThat(takenBeforeDue).as("taken ahead of the due time, as many as the prefetch").isEqualTo(5);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.size() < 8 && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(50));
            }
            assertThat(received).hasSize(8);
            assertThat(received).as("none handed over before the due time").allSatisfy(t -> assertThat(t).isAfterOrEqualTo(due));
        }
    }
}
