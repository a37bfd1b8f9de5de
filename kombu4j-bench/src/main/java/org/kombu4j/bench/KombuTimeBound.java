package org.kombu4j.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/**
 * kombu4j's time-bound scenarios, {@code latency} (a fixed publish rate for a fixed time) and {@code idle}
 * (a consumer over empty queues for a fixed time), over every queue of the run's entities. As
 * {@link KombuRunner}: the caller owns the entities, every loop checks the {@link Deadline}.
 */
final class KombuTimeBound {
    private final Settings settings;

    KombuTimeBound(Settings settings) {
        this.settings = settings;
    }

    void latency(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
        int n = settings.latencyMessages();
        double rate = settings.rate();
        m.put("prefetch", settings.prefetch()).put("rate", rate);
        Bodies bodies = new Bodies(settings.bodyBytes());
        Histogram micros = new Histogram(3);
        SequenceTracker seen = new SequenceTracker(n);
        if (settings.publisherProcess()) {
            latencyAcrossProcesses(url, m, entities, deadline, progress, bodies, micros, seen);
            return;
        }
        PublisherThread publisher;
        try (Connection consumerConn = Connection.open(url); Connection producerConn = Connection.open(url)) {
            m.put("connections", 2).put("publisher", "thread");
            entities.declare(consumerConn);
            List<PublishOptions> targets = new ArrayList<>();
            for (Queue q : entities.queues()) {
                targets.add(PublishOptions.routingKey(q.name()));
            }
            Producer producer = Producer.builder(producerConn).exchange(entities.exchange()).build();
            producer.declare();
            try (Consumer consumer = consumerConn.consumer(entities.queues().toArray(new Queue[0])).accept("json")
                    .prefetch(settings.prefetch()).onMessage((body, msg) -> {
                        double lat = WallClock.nowSeconds() - Bodies.tsOf(body);
                        if (!Double.isNaN(lat)) {
                            micros.recordValue(Math.max(0, Math.round(lat * 1e6)));
                        }
                        seen.see(Bodies.seqOf(body));
                        msg.ack();
                    }).consume()) {
                // As the Python peer's --settle (1 s): the consumer first takes what its queues hold (with
                // 10,000 queues one pop over all of them), and publishing into that start-up would
                // measure the start, not the steady path.
                drainUntil(consumerConn, System.nanoTime() + 1_000_000_000L, deadline);
                long cpu0 = ProcessCpu.nanos();
                long t0 = System.nanoTime();
                publisher = PublisherThread.atFixedRate("kombu4j-bench-publisher", n, rate, t0, deadline,
                        i -> producer.publish(bodies.body(i), targets.get(i % targets.size())));
                publisher.start();
                while (seen.received() < n && !deadline.passed()) {
                    consumerConn.drainEvents(deadline.remainingAtMost(KombuRunner.DRAIN_SLICE));
                    progress.update("received", seen.received(), n);
                    // The producer is done (or failed): what has not arrived by now will not.
                    if (publisher.stoppedLongAgo()) {
                        break;
                    }
                }
                long t1 = System.nanoTime();
                long cpu = ProcessCpu.nanos() - cpu0;
                publisher.interrupt();
                m.throughput(seen.received(), t1 - t0, cpu);
                m.put("messages", n).put("received", seen.received());
            }
        }
        m.put("missing", seen.missing()).put("duplicates", seen.duplicates());
        m.latencies(micros, 1e3).put("latency_of", "end_to_end");
        if (publisher.error() != null) {
            m.error(publisher.error());
        }
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + n + " messages");
        }
    }

    /**
     * {@link #latency} with the publisher in a JVM of its own ({@link LatencyPublisherProcess}): it connects and warms
     * up while this process's consumer starts, then publishes at the rate; {@code cpu_s} is this (the consumer's)
     * process only.
     */
    private void latencyAcrossProcesses(String url, Measurement m, BenchEntities entities, Deadline deadline,
            Progress progress, Bodies bodies, Histogram micros, SequenceTracker seen) {
        int n = settings.latencyMessages();
        try (Connection consumerConn = Connection.open(url)) {
            m.put("connections", 2).put("publisher", "process");
            entities.declare(consumerConn);
            try (Consumer consumer = consumerConn.consumer(entities.queues().toArray(new Queue[0])).accept("json")
                    .prefetch(settings.prefetch()).onMessage((body, msg) -> {
                        double lat = WallClock.nowSeconds() - Bodies.tsOf(body);
                        if (!Double.isNaN(lat)) {
                            micros.recordValue(Math.max(0, Math.round(lat * 1e6)));
                        }
                        seen.see(Bodies.seqOf(body));
                        msg.ack();
                    }).consume();
                    LatencyPublisherProcess.Child publisher = LatencyPublisherProcess.Child.start(url, entities,
                            settings.rate(), n, settings.bodyBytes(), deadline)) {
                progress.note("publisher process ready");
                drainUntil(consumerConn, System.nanoTime() + 1_000_000_000L, deadline);
                long cpu0 = ProcessCpu.nanos();
                long t0 = System.nanoTime();
                publisher.go();
                while (seen.received() < n && !deadline.passed()) {
                    consumerConn.drainEvents(deadline.remainingAtMost(KombuRunner.DRAIN_SLICE));
                    progress.update("received", seen.received(), n);
                    if (publisher.stoppedLongAgo()) {
                        break;
                    }
                }
                long t1 = System.nanoTime();
                long cpu = ProcessCpu.nanos() - cpu0;
                m.throughput(seen.received(), t1 - t0, cpu);
                m.put("messages", n).put("received", seen.received());
                if (publisher.error() != null) {
                    m.error(publisher.error());
                }
                publisher.reportPublishCalls(m);
            }
        }
        m.put("missing", seen.missing()).put("duplicates", seen.duplicates());
        m.latencies(micros, 1e3).put("latency_of", "end_to_end");
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + n + " messages");
        }
    }

    /**
     * A consumer over the run's empty queues for {@code seconds} after a warm-up: the process's CPU over the window
     * ({@code cpu_s}, and {@code cpu_core_share} = CPU seconds per second). On PostgreSQL the consumer connects
     * through a {@link PgStatementCounter}, which counts the statements it sends in the window
     * ({@code db_statements}, {@code db_statements_per_10s}).
     */
    void idle(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
        PgStatementCounter counter = null;
        if (isPostgres(url)) {
            try {
                counter = PgStatementCounter.start(url);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot start the statement-counting proxy", e);
            }
        }
        try {
            idle(counter == null ? url : counter.proxiedUrl(url), m, entities, deadline, progress, counter);
        } finally {
            if (counter != null) {
                counter.close();
            }
        }
    }

    static boolean isPostgres(String url) {
        try {
            return SqlTarget.parse(url).dialect().equals(SqlTarget.POSTGRESQL);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void idle(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress,
            @org.jspecify.annotations.Nullable PgStatementCounter counter) {
        long window = (long) (settings.seconds() * 1e9);
        long warmup = Math.min(2_000_000_000L, window / 5);
        m.put("prefetch", settings.prefetch());
        AtomicInteger unexpected = new AtomicInteger();
        try (Connection conn = Connection.open(url)) {
            m.put("connections", 1);
            entities.declare(conn);
            try (Consumer consumer = conn.consumer(entities.queues().toArray(new Queue[0])).accept("json").prefetch(settings.prefetch())
                    .onMessage((body, msg) -> {
                        unexpected.incrementAndGet();
                        msg.ack();
                    }).consume()) {
                drainUntil(conn, System.nanoTime() + warmup, deadline);
                long cpu0 = ProcessCpu.nanos();
                long t0 = System.nanoTime();
                progress.note(String.format("idle window of %.1f s over %d queues", window / 1e9, entities.queues().size()));
                drainUntil(conn, t0 + window, deadline);
                long t1 = System.nanoTime();
                long cpu = ProcessCpu.nanos() - cpu0;
                m.put("messages", 0).put("seconds", (t1 - t0) / 1e9).put("msgs_per_s", 0.0).put("cpu_s", cpu / 1e9);
                m.put("cpu_core_share", (double) cpu / (t1 - t0));
                m.put("missing", 0).put("duplicates", 0);
                if (counter != null) {
                    counter.report(m, counter.betweenNanos(t0, t1), (t1 - t0) / 1e9);
                }
            }
        }
        if (unexpected.get() > 0) {
            m.error(unexpected.get() + " messages arrived on queues that should have stayed empty");
        }
    }

    private static void drainUntil(Connection conn, long untilNanos, Deadline deadline) {
        long left;
        while ((left = untilNanos - System.nanoTime()) > 0 && !deadline.passed()) {
            conn.drainEvents(deadline.remainingAtMost(Duration.ofNanos(Math.min(left, 1_000_000_000L))));
        }
    }
}
