package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kombu4j.Connection;
import org.kombu4j.KombuException;
import org.kombu4j.OperationalException;
import org.kombu4j.Producer;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;

/**
 * The server ends a consumer's connections under it ({@code pg_terminate_backend}, as an administrator
 * or {@code idle_session_timeout} would) on the shared PostgreSQL, in a database of the test's own:
 * first only the LISTEN connection, then every connection of the database. The producer connects by
 * {@code localhost} and the consumer by {@code 127.0.0.1}, so the consumer is not woken in-process and
 * must hear of new rows from the database (NOTIFY on a LISTEN connection made again); it goes on receiving
 * without a restart.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SqlBackendTerminateFaultTest {

    @ParameterizedTest(name = "consumer on {0}")
    @ValueSource(strings = {"drain", "hub"})
    void consumerResumesAfterItsBackendsAreTerminated(String where) throws Exception {
        String url = TestDatabases.postgres("k4j_term");
        String db = url.substring(url.lastIndexOf('/') + 1);
        String producerUrl = url.replace("@127.0.0.1:", "@localhost:");
        Queue q = Queue.of("term.q");
        Map<Integer, Integer> got = new ConcurrentHashMap<>();
        List<Throwable> consumerErrors = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread drain = null;
        Hub hub = where.equals("hub") ? new Hub() : null;
        Thread hubThread = null;
        try (Connection consumerConn = Connection.open(url); Connection producerConn = Connection.open(producerUrl)) {
            if (hub != null) {
                hubThread = new Thread(hub::runForever, "hub-loop");
                hubThread.start();
                consumerConn.registerWithEventLoop(hub);
            }
            consumerConn.consumer(q).prefetch(10).onMessage((body, m) -> {
                got.merge(((Number) body).intValue(), 1, Integer::sum);
                m.ack();
            }).consume();
            drain = hub != null ? null : new Thread(() -> {
                while (!stop.get()) {
                    try {
                        consumerConn.drainEvents(Duration.ofMillis(200));
                    } catch (KombuException e) {
                        consumerErrors.add(e);
                    }
                }
            }, "drain-loop");
            if (drain != null) {
                drain.start();
            }
            Producer producer = producerConn.producer();

            long a = publishAndWait(producer, q, 0, 50, got);
            String before = activity(db);
            // The listener's last query is its LISTEN, or the empty query ";" it pings with.
            long listeners = terminate(db, "(query ILIKE 'LISTEN%' OR query = ';')");
            Thread.sleep(1000); // the new LISTEN connection, not the look for work a reconnect makes, must wake it
            long b = publishAndWait(producer, q, 50, 100, got);
            long all = terminate(db, "true");
            long c = publishAndWait(producer, q, 100, 150, got);
            System.out.printf("[terminate, " + where + "] 50 messages delivered in %d ms; after terminating %d LISTEN backend(s) and 1 s in %d ms; "
                    + "after terminating all %d backends in %d ms; %d distinct, %d duplicates; consumer errors %s%n", a,
                    listeners, b, all, c, got.size(), FaultSupport.duplicates(got), consumerErrors);
            assertThat(listeners).as("LISTEN backends of the consumer among %s", before).isEqualTo(1);
            assertThat(all).as("backends of the consumer and producer").isGreaterThanOrEqualTo(2);
            assertThat(consumerErrors).as("errors thrown to the consumer's drain loop").isEmpty();
        } finally {
            stop.set(true);
            if (drain != null) {
                drain.join(5000);
            }
            if (hub != null) {
                hub.stop();
                hubThread.join(5000);
                hub.close();
            }
            TestDatabases.drop(url);
        }
    }

    /** Publishes {@code from..to-1} (retrying a publish the terminated connection failed) and waits for them all. */
    private static long publishAndWait(Producer producer, Queue q, int from, int to, Map<Integer, Integer> got)
            throws InterruptedException {
        long start = System.nanoTime();
        for (int i = from; i < to; i++) {
            for (int attempt = 0; ; attempt++) {
                try {
                    producer.publish(i, FaultSupport.to(q));
                    break;
                } catch (OperationalException e) {
                    assertThat(attempt).as("publish %d failed again: %s", i, e).isLessThan(3);
                }
            }
        }
        Set<Integer> want = IntStream.range(from, to).boxed().collect(Collectors.toSet());
        boolean all = FaultSupport.waitFor(Duration.ofSeconds(15), () -> got.keySet().containsAll(want));
        assertThat(all).as("messages %d..%d delivered; missing %s", from, to - 1, FaultSupport.missing(want, got)).isTrue();
        return FaultSupport.millisSince(start);
    }

    /** The backends of {@code db}: their last query and state, for a failure's message. */
    private static String activity(String db) throws Exception {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(TestDatabases.PG_ADMIN, "postgres", null);
                java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT pid, state, left(query, 60) FROM pg_stat_activity "
                        + "WHERE datname = '" + db + "' AND pid <> pg_backend_pid()")) {
            StringBuilder sb = new StringBuilder();
            while (rs.next()) {
                sb.append('[').append(rs.getInt(1)).append(' ').append(rs.getString(2)).append(": ")
                        .append(rs.getString(3)).append("] ");
            }
            return sb.toString();
        }
    }

    /** Terminates the backends of database {@code db} matching {@code where}; returns how many. */
    private static long terminate(String db, String where) throws Exception {
        return FaultSupport.queryLong(TestDatabases.PG_ADMIN.replace("jdbc:", "").replace("//", "//postgres@"),
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + db
                        + "' AND pid <> pg_backend_pid() AND " + where);
    }
}
