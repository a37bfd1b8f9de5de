package org.kombu4j.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Producer;
import org.kombu4j.PublishBatch;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.Worker;
import org.kombu4j.amqp.AmqpTransport;

/**
 * Runs one scenario with kombu4j's public API and turns what it saw into a {@link Measurement}: the throughput
 * scenarios (a fixed number of messages) here, latency and idle in {@link KombuTimeBound}. The entities are the
 * caller's: it declares them, this class uses them, the caller deletes them. Every loop checks the
 * {@link Deadline}; on any failure the measurement carries {@code errors > 0}.
 */
final class KombuRunner {
    /** The longest one {@code drainEvents} call may block, so that loops see their deadline and progress. */
    static final Duration DRAIN_SLICE = Duration.ofMillis(200);

    /** The {@code system} of the rounds run with the Micrometer binder on ({@code --metrics micrometer}). */
    static final String METERED = Measurement.KOMBU4J + "+micrometer";

    private final Settings settings;
    private final PrintStream err;
    /** Registered on the measured connections, or null for plain kombu4j. */
    private final org.kombu4j.observe.@Nullable KombuObserver observer;

    KombuRunner(Settings settings, PrintStream err) {
        this(settings, err, null);
    }

    KombuRunner(Settings settings, PrintStream err, org.kombu4j.observe.@Nullable KombuObserver observer) {
        this.settings = settings;
        this.err = err;
        this.observer = observer;
    }

    /** A measured connection: with the observer, if this runner has one. */
    private Connection open(String url) {
        return observer == null ? Connection.open(url) : Connection.builder(url).observer(observer).build();
    }

    Measurement run(Scenario scenario, int round, BenchEntities entities, Deadline deadline) {
        String url = scenario == Scenario.PUBLISH_ASYNC ? AsyncPublish.urlFor(settings.url()) : settings.url();
        Measurement m = new Measurement(observer == null ? Measurement.KOMBU4J : METERED, transportName(url),
                scenario.cliName());
        m.put("round", round).put("body_bytes", settings.bodyBytes()).put("queues", entities.queues().size());
        Progress progress = new Progress(err, "kombu4j " + scenario.cliName() + " #" + round);
        KombuTimeBound timeBound = new KombuTimeBound(settings);
        SqlPeerCleanup.vacuumKombu4jTable(url, err);
        try {
            switch (scenario) {
                case PUBLISH:
                case PUBLISH_ASYNC:
                    publish(url, m, entities, deadline, progress, false);
                    m.put("publish_mode", publishMode(scenario, url));
                    break;
                case PUBLISH_BATCH:
                    publish(url, m, entities, deadline, progress, true);
                    m.put("publish_mode", "batch-window:" + PublishBatch.DEFAULT_WINDOW);
                    break;
                case CONSUME_ACK:
                    consume(url, Received.AckMode.ACK, m, entities, deadline, progress);
                    break;
                case CONSUME_NOACK:
                    consume(url, Received.AckMode.NO_ACK, m, entities, deadline, progress);
                    break;
                case ROUNDTRIP:
                    roundtrip(url, m, entities, deadline, progress);
                    break;
                case LATENCY:
                    timeBound.latency(url, m, entities, deadline, progress);
                    break;
                case IDLE:
                    timeBound.idle(url, m, entities, deadline, progress);
                    break;
                case DELAYED:
                    new KombuDelayed(settings).run(url, m, entities, deadline, progress);
                    break;
                case WORKER:
                    worker(url, m, entities, deadline, progress);
                    break;
                case CELERY_WORKER:
                case CELERY_SEND:
                case CELERY_SEND_ASYNC:
                case CELERY_LATENCY:
                    new CeleryBench(settings, err).run(scenario, m, entities, deadline, progress);
                    break;
                default:
                    throw new IllegalStateException("unhandled scenario " + scenario);
            }
        } catch (RuntimeException e) {
            m.error(Measurement.describe(e));
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

    private static String transportName(String url) {
        String scheme = org.kombu4j.BrokerUrl.parse(url.split(";")[0]).scheme();
        return scheme.equals("amqp") || scheme.equals("pyamqp") ? "rabbitmq" : scheme;
    }

    /** With AMQP's {@code confirm_publish=async}, waits until every confirm arrived; a no-op otherwise. */
    private static void awaitConfirms(Connection conn) {
        if (conn.transport() instanceof AmqpTransport) {
            ((AmqpTransport) conn.transport()).flush();
        }
    }

    // ---- publish ----

    /** @param batch publish as {@code kombu4j publish --count} does: a {@link PublishBatch}, every confirm awaited */
    private void publish(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress,
            boolean batch) {
        int n = settings.messages();
        Bodies bodies = new Bodies(settings.bodyBytes());
        Histogram calls = new Histogram(3);
        try (Connection conn = open(url)) {
            m.put("connections", 1);
            entities.declare(conn);
            Queue q = entities.queue(0);
            Producer producer = Producer.builder(conn).exchange(entities.exchange()).build();
            PublishOptions opts = PublishOptions.routingKey(q.name());
            PublishBatch confirmed = batch ? producer.batch() : null;
            TimedSection.settle();
            long cpu0 = ProcessCpu.nanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long s = System.nanoTime();
                if (confirmed != null) {
                    confirmed.publish(bodies.body(i), opts);
                } else {
                    producer.publish(bodies.body(i), opts);
                }
                calls.recordValue(Math.max(0, System.nanoTime() - s));
                if ((i & 4095) == 4095) {
                    deadline.check("publishing");
                    progress.update("published", i + 1, n);
                }
            }
            // confirm_publish=async and batches: the run ends when the last confirm arrived.
            awaitConfirms(conn);
            if (confirmed != null) {
                PublishBatch.Result r = confirmed.await(deadline.remainingAtMost(Duration.ofMinutes(10)));
                m.put("unconfirmed", r.published() - r.confirmed());
                if (!r.allConfirmed()) {
                    m.error((r.published() - r.confirmed()) + " of " + r.published() + " messages not confirmed: "
                            + r.failures().get(0).cause().getMessage());
                }
            }
            long t1 = System.nanoTime();
            long cpu = ProcessCpu.nanos() - cpu0;
            long queued = entities.messageCount(conn, 0);
            while (queued < n && !deadline.passed()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                queued = entities.messageCount(conn, 0);
            }
            long tq = System.nanoTime();
            m.throughput(n, t1 - t0, cpu);
            m.put("seconds_until_queued", (tq - t0) / 1e9);
            m.put("missing", Math.max(0, n - queued)).put("duplicates", Math.max(0, queued - n));
            m.latencies(calls, 1e6).put("latency_of", "publish_call");
            if (queued < n) {
                m.error("only " + queued + " of " + n + " messages reached the queue before the deadline");
            }
        }
    }

    // ---- consume ----

    private void consume(String url, Received.AckMode ackMode, Measurement m, BenchEntities entities, Deadline deadline,
            Progress progress) {
        int n = settings.messages();
        m.put("prefetch", settings.prefetch());
        try (Connection conn = open(url)) {
            m.put("connections", 1);
            entities.declare(conn);
            Queue q = entities.queue(0);
            prefill(conn, entities, n, deadline, progress);
            TimedSection.settle();
            Received received = new Received(n);
            long t0;
            long t1;
            long cpu;
            try (Consumer consumer = conn.consumer(q).accept("json").prefetch(settings.prefetch())
                    .noAck(ackMode == Received.AckMode.NO_ACK).onMessage(received.handler(ackMode)).build()) {
                long cpu0 = ProcessCpu.nanos();
                t0 = System.nanoTime();
                consumer.consume();
                while (received.incomplete() && !deadline.passed()) {
                    conn.drainEvents(deadline.remainingAtMost(DRAIN_SLICE));
                    progress.update("consumed", received.count(), n);
                }
                t1 = System.nanoTime();
                cpu = ProcessCpu.nanos() - cpu0;
            }
            m.throughput(received.count(), t1 - t0, cpu);
            received.report(m, deadline);
        }
    }

    // ---- worker ----

    /**
     * A {@link Worker} over a pre-filled queue: its handlers sleep {@code --handler-ms}, then record the message and
     * acknowledge it. Timed from {@code start()} until the last message is handled; {@code max_unacked} is the most
     * the worker held unsettled at once (sampled every millisecond), never above {@code prefetch}.
     */
    private void worker(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
        int n = settings.messages();
        long sleepNanos = Math.round(settings.handlerMs() * 1e6);
        try (Connection conn = open(url)) {
            m.put("connections", 1);
            entities.declare(conn);
            prefill(conn, entities, n, deadline, progress);
            Received received = new Received(n);
            // Received is confined to one thread: the handlers record under its lock, and acknowledge outside it.
            org.kombu4j.MessageHandler record = received.handler(Received.AckMode.NO_ACK);
            Worker.Builder b = Worker.builder(conn).queues(entities.queue(0)).accept("json").concurrency(settings.concurrency())
                    .name("kombu4j-bench-worker").onMessage((body, msg) -> {
                        if (sleepNanos > 0) {
                            try {
                                Thread.sleep(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                return; // stopped past its grace: the message goes back unacknowledged
                            }
                        }
                        synchronized (received) {
                            record.onMessage(body, msg);
                        }
                        msg.ack();
                    });
            if (settings.prefetch() > 0) {
                b.prefetch(settings.prefetch());
            }
            Worker worker = b.build();
            m.put("concurrency", settings.concurrency()).put("handler_ms", settings.handlerMs())
                    .put("prefetch", worker.prefetch()).put("virtual_threads", worker.usesVirtualThreads());
            TimedSection.settle();
            int maxHeld = 0;
            long cpu0 = ProcessCpu.nanos();
            long t0 = System.nanoTime();
            worker.start();
            try {
                while (!deadline.passed() && !worker.isTerminated()) {
                    maxHeld = Math.max(maxHeld, worker.held());
                    synchronized (received) {
                        if (!received.incomplete()) {
                            break;
                        }
                        progress.update("handled", received.count(), n);
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
            } finally {
                long t1 = System.nanoTime();
                long cpu = ProcessCpu.nanos() - cpu0;
                if (!worker.stop(Duration.ofSeconds(10))) {
                    m.error("the worker did not stop within 10 s");
                }
                synchronized (received) {
                    m.throughput(received.count(), t1 - t0, cpu);
                }
            }
            worker.failure().ifPresent(f -> m.error("the worker failed: " + Measurement.describe(f)));
            m.put("max_unacked", maxHeld);
            if (maxHeld > worker.prefetch()) {
                m.error(maxHeld + " messages unacknowledged at once, above the prefetch of " + worker.prefetch());
            }
            synchronized (received) {
                received.report(m, deadline);
            }
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
        Received received = new Received(n);
        AtomicLong firstPublishAt = new AtomicLong();
        AtomicLong lastPublishAt = new AtomicLong();
        PublisherThread publisher;
        long t1;
        long cpu;
        try (Connection consumerConn = open(url); Connection producerConn = open(url)) {
            m.put("connections", 2);
            entities.declare(consumerConn);
            Queue q = entities.queue(0);
            Producer producer = Producer.builder(producerConn).exchange(entities.exchange()).build();
            producer.declare();
            PublishOptions opts = PublishOptions.routingKey(q.name());
            try (Consumer consumer = consumerConn.consumer(q).accept("json").prefetch(settings.prefetch())
                    .onMessage(received.handler(Received.AckMode.ACK)).consume()) {
                TimedSection.settle();
                publisher = new PublisherThread("kombu4j-bench-publisher", () -> {
                    firstPublishAt.set(System.nanoTime());
                    for (int i = 0; i < n; i++) {
                        producer.publish(bodies.body(i), opts);
                        if ((i & 4095) == 4095) {
                            deadline.check("publishing");
                        }
                    }
                    awaitConfirms(producerConn);
                    lastPublishAt.set(System.nanoTime());
                });
                long cpu0 = ProcessCpu.nanos();
                publisher.start();
                while (received.incomplete() && !deadline.passed()) {
                    consumerConn.drainEvents(deadline.remainingAtMost(DRAIN_SLICE));
                    progress.update("consumed", received.count(), n);
                    // The producer failed: what has not arrived by now will not.
                    if (publisher.failedLongAgo()) {
                        break;
                    }
                }
                t1 = System.nanoTime();
                cpu = ProcessCpu.nanos() - cpu0;
                publisher.finish(TimeUnit.SECONDS.toMillis(5));
            }
        }
        long t0 = firstPublishAt.get();
        m.throughput(received.count(), t0 == 0 ? 0 : t1 - t0, cpu);
        if (lastPublishAt.get() != 0) {
            m.put("publish_seconds", (lastPublishAt.get() - t0) / 1e9);
        }
        if (publisher.error() != null) {
            m.error(publisher.error());
        }
        received.report(m, deadline);
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
            awaitConfirms(filler);
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
}
