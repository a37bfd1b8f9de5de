package org.kombu4j.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.amqp.AmqpTransport;

/**
 * Runs one scenario with kombu4j's public API and turns what it saw into a {@link Measurement}.
 * The entities are the caller's: it declares them, this class uses them, the caller deletes them.
 * Every loop checks the {@link Deadline}; on any failure the measurement carries {@code errors > 0}.
 */
final class KombuRunner {
    private static final Duration DRAIN_SLICE = Duration.ofMillis(200);

    private final Settings settings;
    private final PrintStream err;

    KombuRunner(Settings settings, PrintStream err) {
        this.settings = settings;
        this.err = err;
    }

    Measurement run(Scenario scenario, int round, BenchEntities entities, Deadline deadline) {
        String url = scenario == Scenario.PUBLISH_ASYNC ? AsyncPublish.urlFor(settings.url()) : settings.url();
        Measurement m = new Measurement(Measurement.KOMBU4J, transportName(url), scenario.cliName());
        m.put("round", round).put("body_bytes", settings.bodyBytes()).put("queues", entities.queues().size());
        Progress progress = new Progress(err, "kombu4j " + scenario.cliName() + " #" + round);
        try {
            switch (scenario) {
                case PUBLISH:
                case PUBLISH_ASYNC:
                    publish(url, m, entities, deadline, progress);
                    m.put("publish_mode", publishMode(scenario, url));
                    break;
                case CONSUME_ACK:
                    consume(url, false, m, entities, deadline, progress);
                    break;
                case CONSUME_NOACK:
                    consume(url, true, m, entities, deadline, progress);
                    break;
                case ROUNDTRIP:
                    roundtrip(url, m, entities, deadline, progress);
                    break;
                case LATENCY:
                    latency(url, m, entities, deadline, progress);
                    break;
                case IDLE:
                    idle(url, m, entities, deadline, progress);
                    break;
                default:
                    throw new IllegalStateException("unhandled scenario " + scenario);
            }
        } catch (RuntimeException e) {
            m.error(describe(e));
        }
        return m;
    }

    /** What the publish loop does: the async option publish-async added, or what the URL says. */
    private static String publishMode(Scenario scenario, String url) {
        if (url.contains("confirm_publish=")) {
            return url.substring(url.indexOf("confirm_publish=")).split("&")[0];
        }
        return scenario == Scenario.PUBLISH_ASYNC ? AsyncPublish.mode(url) : "sync";
    }

    static String describe(Throwable e) {
        String msg = e.getMessage();
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }

    private static String transportName(String url) {
        String scheme = org.kombu4j.BrokerUrl.parse(url.split(";")[0]).scheme();
        return scheme.equals("amqp") || scheme.equals("pyamqp") ? "rabbitmq" : scheme;
    }

    // ---- publish ----

    private void publish(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
        int n = settings.messages();
        Bodies bodies = new Bodies(settings.bodyBytes());
        Histogram calls = new Histogram(3);
        try (Connection conn = Connection.open(url)) {
            m.put("connections", 1);
            entities.declare(conn);
            Queue q = entities.queue(0);
            Producer producer = Producer.builder(conn).exchange(entities.exchange()).build();
            PublishOptions opts = PublishOptions.routingKey(q.name());
            settleHeap();
            long cpu0 = ProcessCpu.nanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long s = System.nanoTime();
                producer.publish(bodies.body(i), opts);
                calls.recordValue(Math.max(0, System.nanoTime() - s));
                if ((i & 4095) == 4095) {
                    deadline.check("publishing");
                    progress.update("published", i + 1, n);
                }
            }
            if (conn.transport() instanceof AmqpTransport) {
                // confirm_publish=async: the run ends when the last confirm arrived (a no-op otherwise).
                ((AmqpTransport) conn.transport()).flush();
            }
            long t1 = System.nanoTime();
            long cpu = ProcessCpu.nanos() - cpu0;
            long queued = entities.messageCount(conn, 0);
            while (queued < n && !deadline.passed()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                queued = entities.messageCount(conn, 0);
            }
            long tq = System.nanoTime();
            throughput(m, n, t1 - t0, cpu);
            m.put("seconds_until_queued", (tq - t0) / 1e9);
            m.put("missing", Math.max(0, n - queued)).put("duplicates", Math.max(0, queued - n));
            latencyFields(m, calls, 1e6);
            m.put("latency_of", "publish_call");
            if (queued < n) {
                m.error("only " + queued + " of " + n + " messages reached the queue before the deadline");
            }
        }
    }

    // ---- consume ----

    private void consume(String url, boolean noAck, Measurement m, BenchEntities entities, Deadline deadline,
            Progress progress) {
        int n = settings.messages();
        m.put("prefetch", settings.prefetch());
        try (Connection conn = Connection.open(url)) {
            m.put("connections", 1);
            entities.declare(conn);
            Queue q = entities.queue(0);
            prefill(conn, entities, n, deadline, progress);
            settleHeap();
            SequenceTracker seen = new SequenceTracker(n);
            AtomicInteger handlerErrors = new AtomicInteger();
            AtomicReference<String> firstError = new AtomicReference<>();
            long cpu0;
            long t0;
            long t1;
            long cpu;
            try (Consumer consumer = conn.consumer(q).accept("json").prefetch(settings.prefetch()).noAck(noAck)
                    .onMessage((body, msg) -> {
                        try {
                            seen.see(Bodies.seqOf(body));
                            if (!noAck) {
                                msg.ack();
                            }
                        } catch (RuntimeException e) {
                            handlerErrors.incrementAndGet();
                            firstError.compareAndSet(null, describe(e));
                        }
                    }).build()) {
                cpu0 = ProcessCpu.nanos();
                t0 = System.nanoTime();
                consumer.consume();
                while (seen.received() < n && !deadline.passed()) {
                    conn.drainEvents(deadline.remainingAtMost(DRAIN_SLICE));
                    progress.update("consumed", seen.received(), n);
                }
                t1 = System.nanoTime();
                cpu = ProcessCpu.nanos() - cpu0;
            }
            throughput(m, seen.received(), t1 - t0, cpu);
            m.put("messages", n).put("received", seen.received());
            reportCounts(m, seen, n, handlerErrors, firstError, deadline);
        }
    }

    // ---- roundtrip ----

    /**
     * One publisher thread and one consumer, each on its own connection, at the same time: N / (time from the
     * first publish until the N-th message was consumed). The consumer acknowledges every message.
     */
    private void roundtrip(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
        int n = settings.messages();
        m.put("prefetch", settings.prefetch());
        Bodies bodies = new Bodies(settings.bodyBytes());
        SequenceTracker seen = new SequenceTracker(n);
        AtomicInteger handlerErrors = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        AtomicReference<String> producerError = new AtomicReference<>();
        AtomicLong firstPublishAt = new AtomicLong();
        AtomicLong lastPublishAt = new AtomicLong();
        long t1;
        long cpu;
        try (Connection consumerConn = Connection.open(url); Connection producerConn = Connection.open(url)) {
            m.put("connections", 2);
            entities.declare(consumerConn);
            Queue q = entities.queue(0);
            Producer producer = Producer.builder(producerConn).exchange(entities.exchange()).build();
            producer.declare();
            PublishOptions opts = PublishOptions.routingKey(q.name());
            try (Consumer consumer = consumerConn.consumer(q).accept("json").prefetch(settings.prefetch())
                    .onMessage((body, msg) -> {
                        try {
                            seen.see(Bodies.seqOf(body));
                            msg.ack();
                        } catch (RuntimeException e) {
                            handlerErrors.incrementAndGet();
                            firstError.compareAndSet(null, describe(e));
                        }
                    }).consume()) {
                settleHeap();
                Thread publisher = new Thread(() -> {
                    try {
                        firstPublishAt.set(System.nanoTime());
                        for (int i = 0; i < n; i++) {
                            producer.publish(bodies.body(i), opts);
                            if ((i & 4095) == 4095) {
                                deadline.check("publishing");
                            }
                        }
                        if (producerConn.transport() instanceof AmqpTransport) {
                            ((AmqpTransport) producerConn.transport()).flush();
                        }
                        lastPublishAt.set(System.nanoTime());
                    } catch (RuntimeException e) {
                        producerError.compareAndSet(null, "producer: " + describe(e));
                    }
                }, "kombu4j-bench-publisher");
                publisher.setDaemon(true);
                long cpu0 = ProcessCpu.nanos();
                publisher.start();
                long publisherGoneAt = 0;
                while (seen.received() < n && !deadline.passed()) {
                    consumerConn.drainEvents(deadline.remainingAtMost(DRAIN_SLICE));
                    progress.update("consumed", seen.received(), n);
                    if (!publisher.isAlive() && producerError.get() != null) {
                        // The producer failed: what has not arrived within 2 s will not.
                        if (publisherGoneAt == 0) {
                            publisherGoneAt = System.nanoTime();
                        } else if (System.nanoTime() - publisherGoneAt > 2_000_000_000L) {
                            break;
                        }
                    }
                }
                t1 = System.nanoTime();
                cpu = ProcessCpu.nanos() - cpu0;
                try {
                    publisher.join(TimeUnit.SECONDS.toMillis(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                publisher.interrupt();
            }
        }
        long t0 = firstPublishAt.get();
        throughput(m, seen.received(), t0 == 0 ? 0 : t1 - t0, cpu);
        m.put("messages", n).put("received", seen.received());
        if (lastPublishAt.get() != 0) {
            m.put("publish_seconds", (lastPublishAt.get() - t0) / 1e9);
        }
        if (producerError.get() != null) {
            m.error(producerError.get());
        }
        reportCounts(m, seen, n, handlerErrors, firstError, deadline);
    }

    /** Missing/duplicate counts, and an error for handler failures, foreign messages or an incomplete run. */
    private static void reportCounts(Measurement m, SequenceTracker seen, int n, AtomicInteger handlerErrors,
            AtomicReference<String> firstError, Deadline deadline) {
        m.put("missing", seen.missing()).put("duplicates", seen.duplicates());
        if (handlerErrors.get() > 0) {
            m.error(handlerErrors.get() + " handler errors, first: " + firstError.get());
        }
        if (seen.foreign() > 0) {
            m.error(seen.foreign() + " messages without a sequence number of this run");
        }
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + n + " messages before the deadline of "
                    + deadline.budget().toSeconds() + " s");
        }
    }

    private void prefill(Connection conn, BenchEntities entities, int n, Deadline deadline, Progress progress) {
        Bodies bodies = new Bodies(settings.bodyBytes());
        long t0 = System.nanoTime();
        // Untimed: on AMQP through a connection with async confirms, so a sync-confirm URL does not
        // spend the deadline here (every message is still confirmed before the consume starts).
        try (Connection filler = Connection.open(AsyncPublish.urlFor(settings.url()))) {
            Producer producer = Producer.builder(filler).exchange(entities.exchange()).build();
            PublishOptions opts = PublishOptions.routingKey(entities.queue(0).name());
            for (int i = 0; i < n; i++) {
                producer.publish(bodies.body(i), opts);
                if ((i & 4095) == 4095) {
                    deadline.check("pre-filling the queue");
                    progress.update("pre-filled", i + 1, n);
                }
            }
            if (filler.transport() instanceof AmqpTransport) {
                ((AmqpTransport) filler.transport()).flush();
            }
        }
        long queued = entities.messageCount(conn, 0);
        while (queued < n) {
            deadline.check("waiting for the pre-filled messages to be queued (" + queued + "/" + n + ")");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            queued = entities.messageCount(conn, 0);
        }
        if (queued > n) {
            throw new IllegalStateException("queue holds " + queued + " messages after publishing " + n);
        }
        progress.note(String.format("pre-filled %d messages in %.2f s", n, (System.nanoTime() - t0) / 1e9));
    }

    /**
     * Before a timed section, two things. A full collection, so that what earlier phases left (the
     * pre-filled queue: about 1.5 KB per message) sits in the old generation; otherwise every young
     * collection during the timed loop copies those live messages again, and the figure measures G1
     * promoting the fixture rather than the messaging path. Then a wait (at most 3 s) until this process
     * is quiet — under 10 ms of CPU in a 100 ms window. Rounds alternate with in-process peers, and the
     * JIT compiles a peer's code for a good while after its round (seen: ~2,500 compilations during a
     * Lettuce round, still running into kombu4j's next one on this 2-core machine, which then used 3×
     * the CPU of an undisturbed round); the wait keeps that out of the next measurement, for kombu4j and
     * peers alike.
     *
     * <p>{@link Bench#prepareHeap} has made sure this collection does not give the heap back to the OS.
     */
    static void settleHeap() {
        System.gc();
        long until = System.nanoTime() + 3_000_000_000L;
        long cpu = ProcessCpu.nanos();
        while (System.nanoTime() < until) {
            LockSupport.parkNanos(100_000_000L);
            long now = ProcessCpu.nanos();
            if (now - cpu < 10_000_000L) {
                return;
            }
            cpu = now;
        }
    }

    // ---- latency ----

    private void latency(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
        int n = settings.latencyMessages();
        double rate = settings.rate();
        m.put("prefetch", settings.prefetch()).put("rate", rate);
        Bodies bodies = new Bodies(settings.bodyBytes());
        Histogram micros = new Histogram(3);
        SequenceTracker seen = new SequenceTracker(n);
        AtomicReference<String> producerError = new AtomicReference<>();
        try (Connection consumerConn = Connection.open(url); Connection producerConn = Connection.open(url)) {
            m.put("connections", 2);
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
                Thread publisher = new Thread(() -> {
                    try {
                        for (int i = 0; i < n; i++) {
                            long due = t0 + (long) (i * 1e9 / rate);
                            long wait;
                            while ((wait = due - System.nanoTime()) > 0) {
                                LockSupport.parkNanos(wait);
                            }
                            producer.publish(bodies.body(i), targets.get(i % targets.size()));
                            if (deadline.passed()) {
                                throw new Deadline.Exceeded("publishing at a fixed rate", deadline.budget());
                            }
                        }
                    } catch (RuntimeException e) {
                        producerError.compareAndSet(null, "producer: " + describe(e));
                    }
                }, "kombu4j-bench-publisher");
                publisher.setDaemon(true);
                publisher.start();
                long publisherGoneAt = 0;
                while (seen.received() < n && !deadline.passed()) {
                    consumerConn.drainEvents(deadline.remainingAtMost(DRAIN_SLICE));
                    progress.update("received", seen.received(), n);
                    if (!publisher.isAlive()) {
                        // The producer is done (or failed): what has not arrived within 2 s will not.
                        if (publisherGoneAt == 0) {
                            publisherGoneAt = System.nanoTime();
                        } else if (System.nanoTime() - publisherGoneAt > 2_000_000_000L) {
                            break;
                        }
                    }
                }
                long t1 = System.nanoTime();
                long cpu = ProcessCpu.nanos() - cpu0;
                publisher.interrupt();
                throughput(m, seen.received(), t1 - t0, cpu);
                m.put("messages", n).put("received", seen.received());
            }
        }
        m.put("missing", seen.missing()).put("duplicates", seen.duplicates());
        latencyFields(m, micros, 1e3);
        m.put("latency_of", "end_to_end");
        if (producerError.get() != null) {
            m.error(producerError.get());
        }
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + n + " messages");
        }
    }

    // ---- idle ----

    private void idle(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
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
                m.put("missing", 0).put("duplicates", 0);
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

    // ---- fields ----

    static void throughput(Measurement m, long messages, long nanos, long cpuNanos) {
        double seconds = nanos / 1e9;
        m.put("messages", messages).put("seconds", seconds);
        m.put("msgs_per_s", seconds > 0 ? messages / seconds : 0.0);
        m.put("cpu_s", cpuNanos / 1e9);
        m.put("cpu_s_per_1k", messages > 0 ? cpuNanos / 1e9 / messages * 1000 : null);
    }

    /** p50/p90/p99/max in milliseconds from a histogram whose unit is 1/{@code perMs} ms. */
    static void latencyFields(Measurement m, Histogram h, double perMs) {
        if (h.getTotalCount() == 0) {
            return;
        }
        m.put("p50_ms", h.getValueAtPercentile(50) / perMs);
        m.put("p90_ms", h.getValueAtPercentile(90) / perMs);
        m.put("p99_ms", h.getValueAtPercentile(99) / perMs);
        m.put("max_ms", h.getMaxValue() / perMs);
    }
}
