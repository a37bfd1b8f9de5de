package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.KombuException;
import org.kombu4j.Producer;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;
import org.kombu4j.testkit.brokers.PrivatePostgres;

/**
 * A private PostgreSQL stopped (fast shutdown) or killed (immediate shutdown, as in a crash) and
 * restarted while a consumer consumes and a producer publishes: the same consumer, never restarted,
 * goes on receiving what is published after the restart, and every message whose publish returned
 * arrives (acked ones may come again: at least once). The consumer drains on a thread of its own or
 * runs on a {@link Hub}.
 */
class SqlServerRestartFaultTest {
    private static PrivatePostgres pg;

    @BeforeAll
    static void server() throws Exception {
        pg = PrivatePostgres.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @ParameterizedTest(name = "{0} + restart, consumer on {1}")
    @CsvSource({"stop, drain", "kill, drain", "stop, hub", "kill, hub"})
    void consumerResumesAfterTheServerRestarts(String how, String where) throws Exception {
        String db = TestDatabases.name("k4j_restart");
        pg.createDatabase(db);
        // The private server runs with synchronous_commit=off; an immediate shutdown would then lose commits
        // the client was told about. This test is about the transport, not about that setting.
        pg.psql("postgres", "ALTER DATABASE " + db + " SET synchronous_commit = on");
        String url = pg.url(db) + "?visibility_timeout=3";
        Queue q = Queue.of("restart.q");

        Map<Integer, Integer> got = new ConcurrentHashMap<>();
        List<Throwable> consumerErrors = new CopyOnWriteArrayList<>();
        Set<Integer> confirmed = new ConcurrentSkipListSet<>();
        AtomicInteger publishFailures = new AtomicInteger();
        List<String> publishErrors = new CopyOnWriteArrayList<>();
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean stopProducing = new AtomicBoolean();

        Hub hub = where.equals("hub") ? new Hub() : null;
        Thread hubThread = null;
        Thread drainThread = null;
        Connection consumerConn = Connection.open(url);
        // By another name than the consumer's: no in-process wake-up, the consumer must hear of new rows
        // from the database (NOTIFY on a LISTEN connection that has to be made again after the restart).
        Connection producerConn = Connection.open(url.replace("@127.0.0.1:", "@localhost:"));
        try {
            if (hub != null) {
                hubThread = new Thread(hub::runForever, "hub-loop");
                hubThread.start();
                consumerConn.registerWithEventLoop(hub);
            }
            Consumer consumer = consumerConn.consumer(q).prefetch(20).onMessage((body, m) -> {
                got.merge(((Number) body).intValue(), 1, Integer::sum);
                m.ack();
            }).consume();
            if (hub == null) {
                drainThread = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            consumerConn.drainEvents(Duration.ofMillis(200));
                        } catch (KombuException e) {
                            consumerErrors.add(e); // a finding: the transport is meant to recover by itself
                            sleep(50);
                        }
                    }
                }, "drain-loop");
                drainThread.start();
            }
            Producer producer = producerConn.producer(); // no retry: a failed publish is retried here, same number
            Thread producing = new Thread(() -> {
                while (!stopProducing.get()) {
                    int n = next.get();
                    try {
                        producer.publish(n, FaultSupport.to(q));
                        confirmed.add(n);
                        next.incrementAndGet();
                        sleep(3);
                    } catch (KombuException e) {
                        publishFailures.incrementAndGet();
                        if (publishErrors.size() < 3) {
                            publishErrors.add(e.toString());
                        }
                        sleep(50);
                    }
                }
            }, "producer");
            producing.start();

            assertThat(FaultSupport.waitFor(Duration.ofSeconds(20), () -> got.size() >= 100))
                    .as("consuming before the fault").isTrue();
            int beforeFault = confirmed.size();
            if (how.equals("kill")) {
                pg.kill();
            } else {
                pg.stop();
            }
            Thread.sleep(500);
            pg.restart();
            long restarted = System.nanoTime();
            int firstAfter = next.get(); // the number the producer was at: confirmed only after the restart
            assertThat(FaultSupport.waitFor(Duration.ofSeconds(20),
                    () -> confirmed.contains(firstAfter) && confirmed.size() >= firstAfter + 100))
                    .as("producer publishes after the restart").isTrue();
            boolean resumed = FaultSupport.waitFor(Duration.ofSeconds(20), () -> got.containsKey(firstAfter));
            long resumeMillis = FaultSupport.millisSince(restarted);
            stopProducing.set(true);
            producing.join(10_000);
            boolean complete = FaultSupport.waitFor(Duration.ofSeconds(30), () -> got.keySet().containsAll(confirmed));
            Thread.sleep(500);
            Set<Integer> missing = FaultSupport.missing(confirmed, got);
            System.out.printf("[%s + restart, %s] confirmed publishes %d (%d before the fault), publish failures %d %s; "
                    + "consumer got %d distinct, %d duplicate deliveries; message %d published after the restart "
                    + "delivered%s %d ms after the restart; missing %d %s; consumer errors %s%n", how, where, confirmed.size(),
                    beforeFault, publishFailures.get(), publishErrors, got.size(), FaultSupport.duplicates(got), firstAfter,
                    resumed ? "" : " NOT", resumeMillis, missing.size(), first(missing), consumerErrors);
            assertThat(resumed).as("the same consumer receives a message published after the restart").isTrue();
            assertThat(complete).as("every confirmed publish delivered; missing " + first(missing)).isTrue();
            assertThat(consumerErrors).as("errors thrown to the consumer's drain loop").isEmpty();
            assertThat(consumer.isConsuming()).isTrue();
        } finally {
            stop.set(true);
            stopProducing.set(true);
            if (drainThread != null) {
                drainThread.join(5000);
            }
            producerConn.close();
            consumerConn.close();
            if (hub != null) {
                hub.stop();
                hubThread.join(5000);
                hub.close();
            }
            if (pg.isRunning()) {
                pg.psql("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            }
        }
    }

    private static String first(Set<Integer> s) {
        return s.size() <= 20 ? s.toString() : new TreeSet<>(s).headSet(List.copyOf(new TreeSet<>(s)).get(20)) + "...";
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
