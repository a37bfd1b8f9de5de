package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.KombuException;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.testkit.net.FaultProxy;

/**
 * Publishing through a {@link FaultProxy} in front of the shared PostgreSQL while the proxy cuts
 * every connection now and then, and once keeps cutting for a while (an outage in which reconnects
 * fail too). Every publish either returns or throws; afterwards, read without the proxy, every
 * message whose publish returned is in the queue, except (with {@code publish_pipeline=64}) as many
 * as a later publish or the close reported as "may not have been written". Through a topic exchange
 * a pipelined publish also reads bindings on the control connection, whose failure drops the transport: the
 * report of unwritten batches then reaches the caller from the transport's close.
 *
 * <p>{@code -Dkombu4j.fault.publishMillis=N} (default 2500) publishes longer.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SqlPublishCutFaultTest {
    private static final long PUBLISH_MILLIS = Long.getLong("kombu4j.fault.publishMillis", 2500);
    private static final Pattern REPORTED = Pattern.compile("(\\d+) pipelined publish");
    private static String direct;

    @BeforeAll
    static void database() {
        direct = TestDatabases.postgres("k4j_cut");
    }

    @AfterAll
    static void dropDatabase() {
        if (direct != null) {
            TestDatabases.drop(direct);
        }
    }

    @ParameterizedTest(name = "{0}, retry {1}")
    @CsvSource({"sync, none", "sync, default", "pipeline, none", "pipeline, default", "pipeline-topic, none",
            "pipeline-topic, default"})
    void everyPublishIsWrittenOrTheCallerIsTold(String mode, String retry) throws Exception {
        boolean pipelined = mode.startsWith("pipeline");
        // Through a topic exchange each publish reads the bindings on the control connection, which the cuts break too.
        Exchange topic = mode.endsWith("topic") ? Exchange.topic("cut.topic." + retry) : null;
        Queue q = Queue.of("cut." + mode + "." + retry);
        try (Connection c = Connection.open(direct)) {
            c.defaultChannel().declareQueue(q, false);
            if (topic != null) {
                c.defaultChannel().declareExchange(topic, false);
                c.defaultChannel().bind(q.name(), Binding.of(topic, "cut.#"));
            }
        }
        RetryPolicy policy = retry.equals("none") ? RetryPolicy.NONE : RetryPolicy.DEFAULT;
        Set<Integer> returned = new TreeSet<>();
        Map<Integer, String> thrown = new LinkedHashMap<>();
        List<String> told = new ArrayList<>();
        AtomicInteger reported = new AtomicInteger();
        AtomicInteger cuts = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        String closeError = null;
        int n = 0;
        try (FaultProxy proxy = FaultProxy.plain("127.0.0.1", 5432)) {
            String proxied = direct.replace(":5432/", ":" + proxy.port() + "/") + (pipelined ? "?publish_pipeline=64" : "");
            Connection conn = Connection.open(proxied);
            Producer producer = topic == null ? Producer.builder(conn).retry(policy).build()
                    : Producer.builder(conn).exchange(topic).retry(policy).build();
            PublishOptions to = PublishOptions.routingKey(topic == null ? q.name() : "cut.n");
            Thread cutter = new Thread(() -> cutNowAndThen(proxy, cuts, done), "cutter");
            long start = System.nanoTime();
            cutter.start();
            try {
                while (FaultSupport.millisSince(start) < PUBLISH_MILLIS) {
                    try {
                        producer.publish(n, to);
                        returned.add(n);
                    } catch (KombuException e) {
                        thrown.put(n, e.getMessage());
                        reported.addAndGet(reportedCount(e));
                        if (told.size() < 4) {
                            told.add(e.toString());
                        }
                        Thread.sleep(5);
                    }
                    n++;
                }
            } finally {
                done.set(true);
                cutter.join(5000);
                try {
                    conn.close(); // pipelined: writes what is queued, or reports what it could not
                } catch (KombuException e) {
                    closeError = e.toString();
                    reported.addAndGet(reportedCount(e));
                }
            }
        }
        Set<Integer> wanted = returned;
        Map<Integer, Integer> inQueue = FaultSupport.drain(direct, q, g -> g.keySet().containsAll(wanted),
                Duration.ofSeconds(10), Duration.ofMillis(300));
        Set<Integer> missing = FaultSupport.missing(returned, inQueue);
        Set<Integer> thrownYetWritten = new TreeSet<>(thrown.keySet());
        thrownYetWritten.retainAll(inQueue.keySet());
        Set<Integer> unknown = new TreeSet<>(inQueue.keySet());
        unknown.removeAll(returned);
        unknown.removeAll(thrown.keySet());
        System.out.printf("[cut %s, retry %s] %d publishes, %d cuts: %d returned, %d threw (%d of those written anyway), "
                + "%d reported as maybe not written, close said %s; in the queue %d distinct, %d duplicates; "
                + "returned but missing %d %s; told: %s%n", mode, retry, n, cuts.get(), returned.size(), thrown.size(),
                thrownYetWritten.size(), reported.get(), closeError, inQueue.size(), FaultSupport.duplicates(inQueue),
                missing.size(), missing.size() <= 20 ? missing : "(many)", told);

        assertThat(cuts.get()).as("connections cut").isGreaterThan(0);
        assertThat(unknown).as("numbers in the queue that were never published").isEmpty();
        if (pipelined) {
            assertThat(missing.size()).as("returned normally, not in the queue, and not reported: " + missing)
                    .isLessThanOrEqualTo(reported.get());
        } else {
            assertThat(missing).as("publishes that returned normally but are not in the queue").isEmpty();
        }
        assertThat(returned.size()).as("publishes that went through (the proxy passes between cuts)").isGreaterThan(0);
    }

    /** Cuts every connection a few times, then for 400 ms keeps cutting every few ms, then once more. */
    static void cutNowAndThen(FaultProxy proxy, AtomicInteger cuts, AtomicBoolean done) {
        long start = System.nanoTime();
        long[] singles = {300, 700, 1100, 2200};
        int next = 0;
        while (!done.get()) {
            long t = FaultSupport.millisSince(start);
            if (t >= 1500 && t < 1900) {
                proxy.cutAll(); // the outage: reconnects are cut as they come
                cuts.incrementAndGet();
                pause(2);
                continue;
            }
            if (next < singles.length && t >= singles[next]) {
                proxy.cutAll();
                cuts.incrementAndGet();
                next++;
            }
            pause(5);
        }
    }

    /** How many publishes an exception (and those suppressed in it) says may not have been written. */
    private static int reportedCount(Throwable e) {
        int sum = count(e.getMessage());
        for (Throwable s : e.getSuppressed()) {
            sum += reportedCount(s);
        }
        return sum;
    }

    private static int count(String message) {
        if (message == null) {
            return 0;
        }
        Matcher m = REPORTED.matcher(message);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
