package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kombu4j.Connection;
import org.kombu4j.KombuException;
import org.kombu4j.Producer;
import org.kombu4j.Queue;
import org.kombu4j.testkit.net.FaultProxy;

/**
 * A consumer whose connections to the shared PostgreSQL run through a {@link FaultProxy} that cuts
 * them now and then (and once keeps cutting for a while) while a producer publishes straight to the
 * database: claims, acks and lease renewals are cut mid-statement, and the consumer, never restarted,
 * still gets every message (a claim whose reply was lost comes back when its lease ends).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SqlConsumeCutFaultTest {

    @Test
    void consumerThroughCutConnectionsGetsEveryMessage() throws Exception {
        String direct = TestDatabases.postgres("k4j_cutc");
        Queue q = Queue.of("cut.consume");
        Map<Integer, Integer> got = new ConcurrentHashMap<>();
        List<Throwable> consumerErrors = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger cuts = new AtomicInteger();
        Set<Integer> published = ConcurrentHashMap.newKeySet();
        try (FaultProxy proxy = FaultProxy.plain("127.0.0.1", 5432);
                Connection producerConn = Connection.open(direct)) {
            Producer producer = producerConn.producer();
            producer.publish(-1, FaultSupport.to(q)); // declares the queue (and makes the tables)
            String proxied = direct.replace(":5432/", ":" + proxy.port() + "/") + "?visibility_timeout=3";
            Connection consumerConn = Connection.open(proxied);
            Thread drain = null;
            try {
                consumerConn.consumer(q).prefetch(20).onMessage((body, m) -> {
                    got.merge(((Number) body).intValue(), 1, Integer::sum);
                    m.ack();
                }).consume();
                drain = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            consumerConn.drainEvents(Duration.ofMillis(200));
                        } catch (KombuException e) {
                            consumerErrors.add(e);
                            pause(50);
                        }
                    }
                }, "drain-loop");
                drain.start();
                AtomicBoolean cutting = new AtomicBoolean();
                Thread cutter = new Thread(() -> SqlPublishCutFaultTest.cutNowAndThen(proxy, cuts, cutting), "cutter");
                long start = System.nanoTime();
                cutter.start();
                for (int i = 0; FaultSupport.millisSince(start) < 2500; i++) {
                    producer.publish(i, FaultSupport.to(q));
                    published.add(i);
                }
                cutting.set(true);
                cutter.join(5000);
                published.add(-1);
                long cutsEnded = System.nanoTime();
                boolean complete = FaultSupport.waitFor(Duration.ofSeconds(30), () -> got.keySet().containsAll(published));
                long tookMillis = FaultSupport.millisSince(cutsEnded);
                Thread.sleep(500);
                Set<Integer> missing = FaultSupport.missing(published, got);
                System.out.printf("[consume through cuts] published %d, %d cuts; consumer got %d distinct, %d duplicate "
                        + "deliveries, all %s %d ms after the cuts ended; missing %d %s; consumer errors %s%n",
                        published.size(), cuts.get(), got.size(), FaultSupport.duplicates(got), complete ? "in" : "NOT in",
                        tookMillis, missing.size(), missing.size() <= 20 ? missing : new TreeSet<>(missing).first() + "...",
                        consumerErrors);
                assertThat(cuts.get()).isGreaterThan(0);
                assertThat(missing).as("published but never delivered").isEmpty();
                assertThat(consumerErrors).as("errors thrown to the consumer's drain loop").isEmpty();
            } finally {
                stop.set(true);
                consumerConn.close(); // writes the last acks
            }
            if (drain != null) {
                drain.join(5000);
            }
            assertThat(FaultSupport.queryLong(direct, "SELECT count(*) FROM kombu_message"))
                    .as("rows left after every message was acked").isZero();
        } finally {
            TestDatabases.drop(direct);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
