package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/**
 * On MariaDB the rows due at one time are taken ahead for several prefetch windows (a claim there costs a few ms
 * whatever its size): they are still handed over only once due, window by window as acks free room, each once.
 */
class SqlMariaDbDueAheadTest {

    @Test
    void dueRowsBeyondThePrefetchAreTakenAheadAndHandedOverWindowByWindow() throws Exception {
        FaultSupport.inDatabase(TestDatabases::mariadb, "k4j_mariadelay", url -> {
            int prefetch = 5;
            int messages = 30; // within EARLY_WINDOWS_MARIADB windows: all taken ahead
            List<Instant> received = new CopyOnWriteArrayList<>();
            Map<String, Integer> seen = new ConcurrentHashMap<>();
            Instant due;
            try (Connection c = Connection.open(url)) {
                Queue q = Queue.of("ahead.q");
                c.channel().declareQueue(q, false);
                c.consumer(q).prefetch(prefetch).onMessage((body, m) -> {
                    received.add(Instant.now());
                    seen.merge(String.valueOf(body), 1, Integer::sum);
                    m.ack();
                }).consume();
                c.drainEvents(Duration.ofMillis(100));
                due = Instant.now().plusMillis(800);
                Producer p = c.producer();
                for (int i = 0; i < messages; i++) {
                    p.publish("m" + i, PublishOptions.builder().routingKey(q.name()).eta(due).build());
                }
                // Not draining: the fetcher takes the rows on its own thread; watch the table until just before the due time.
                int takenBeforeDue = 0;
                String db = url.substring(url.lastIndexOf('/') + 1);
                try (var jdbc = DriverManager.getConnection(TestDatabases.MARIADB_ADMIN + db, "root", null)) {
                    while (Instant.now().isBefore(due.minusMillis(3))) {
                        try (ResultSet rs = jdbc.createStatement().executeQuery(
                                "SELECT COUNT(*) FROM kombu_message WHERE visible = 0 AND delivery_count = 1")) {
                            rs.next();
                            takenBeforeDue = Math.max(takenBeforeDue, rs.getInt(1));
                        }
                    }
                }
                assertThat(received).as("nothing handed over before the due time").isEmpty();
                assertThat(takenBeforeDue).as("taken ahead of the due time, beyond one prefetch window")
                        .isEqualTo(messages);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (received.size() < messages && System.nanoTime() < deadline) {
                    c.drainEvents(Duration.ofMillis(50));
                }
                c.drainEvents(Duration.ofMillis(300)); // a duplicate would show here
            }
            assertThat(received).hasSize(messages);
            assertThat(seen).hasSize(messages).allSatisfy((body, n) -> assertThat(n).as(body).isEqualTo(1));
            Instant dueAt = due;
            assertThat(received).as("none handed over before the due time").allSatisfy(t -> assertThat(t).isAfterOrEqualTo(dueAt));
        });
    }
}
