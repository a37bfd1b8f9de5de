package org.kombu4j.bench;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.KombuException;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.amqp.AmqpTransport;

/**
 * The {@code delayed} scenario: a consumer (its own connection) waits while one thread publishes N messages, all
 * with the same {@link PublishOptions.Builder#eta eta} T; each receipt's lateness, receipt − T on the wall clock,
 * gives p50/p90/p99/max. A message received before T is an error ({@code early}), as are missing ones.
 */
final class KombuDelayed {
    /** How far ahead of the publishing's start T lies, at the least. */
    static final Duration BASE_DELAY = Duration.ofSeconds(2);

    private final Settings settings;

    KombuDelayed(Settings settings) {
        this.settings = settings;
    }

    /**
     * T − the publishing's start for {@code messages}: {@link #BASE_DELAY} plus 2 ms per message, so that even a
     * database committing each publish (300–500 msgs/s) has published everything before T.
     */
    static Duration delayFor(int messages) {
        return BASE_DELAY.plusMillis(2L * messages);
    }

    /** Why {@code url}'s transport cannot run the scenario (one line), or null if it can. */
    static @Nullable String unsupported(String url) {
        try (Connection conn = Connection.open(url)) {
            if (conn.transport().capabilities().delayedDelivery()) {
                return null;
            }
            return "the " + conn.url().scheme() + " transport has no delayed delivery "
                    + "(TransportCapabilities.delayedDelivery() is false)";
        } catch (KombuException e) {
            return "cannot connect to ask the transport whether it delays messages: " + e.getMessage();
        }
    }

    void run(String url, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
        int n = settings.messages();
        Duration delay = delayFor(n);
        m.put("prefetch", settings.prefetch()).put("delay_s", delay.toMillis() / 1000.0);
        Bodies bodies = new Bodies(settings.bodyBytes());
        SequenceTracker seen = new SequenceTracker(n);
        Histogram lateness = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
        AtomicLong early = new AtomicLong();
        AtomicLong earliestMicros = new AtomicLong();
        Instant[] due = new Instant[1];
        AtomicLong publishedAt = new AtomicLong();
        try (Connection consumerConn = Connection.open(url);
                Connection producerConn = Connection.open(AsyncPublish.urlFor(url))) {
            m.put("connections", 2);
            entities.declare(consumerConn);
            Producer producer = Producer.builder(producerConn).exchange(entities.exchange()).build();
            producer.declare();
            try (Consumer consumer = consumerConn.consumer(entities.queue(0)).accept("json").prefetch(settings.prefetch())
                    .onMessage((body, msg) -> {
                        long late = ChronoUnit.MICROS.between(due[0], Instant.now());
                        seen.see(Bodies.seqOf(body));
                        if (late < 0) {
                            early.incrementAndGet();
                            earliestMicros.accumulateAndGet(late, Math::min);
                        } else {
                            lateness.recordValue(Math.min(late, lateness.getHighestTrackableValue()));
                        }
                        msg.ack();
                    }).consume()) {
                TimedSection.settle();
                due[0] = Instant.now().plus(delay);
                PublishOptions opts = PublishOptions.builder().routingKey(entities.queue(0).name()).eta(due[0]).build();
                PublisherThread publisher = new PublisherThread("kombu4j-bench-delayed-publisher", () -> {
                    for (int i = 0; i < n; i++) {
                        producer.publish(bodies.body(i), opts);
                        if ((i & 1023) == 1023) {
                            deadline.check("publishing");
                        }
                    }
                    if (producerConn.transport() instanceof AmqpTransport amqp) {
                        amqp.flush();
                    }
                    publishedAt.set(System.currentTimeMillis());
                });
                long cpu0 = ProcessCpu.nanos();
                long t0 = System.nanoTime();
                publisher.start();
                while (!seen.complete() && !deadline.passed() && !publisher.failedLongAgo()) {
                    consumerConn.drainEvents(deadline.remainingAtMost(KombuRunner.DRAIN_SLICE));
                    progress.update("received", seen.received(), n);
                }
                long t1 = System.nanoTime();
                m.throughput(seen.received(), t1 - t0, ProcessCpu.nanos() - cpu0);
                publisher.finish(TimeUnit.SECONDS.toMillis(5));
                if (publisher.error() != null) {
                    m.error(publisher.error());
                }
            }
            if (producerConn.transport() instanceof AmqpTransport amqp) {
                // The run's destination goes away with its entities: so do the delay queues made for it.
                amqp.deleteDelayQueues(entities.exchange().name(), entities.queue(0).name());
            }
        }
        m.latencies(lateness, 1000).put("latency_of", "receipt_after_eta");
        m.put("messages", n).put("received", seen.received()).put("missing", seen.missing())
                .put("duplicates", seen.duplicates()).put("early", early.get());
        if (publishedAt.get() != 0) {
            m.put("published_before_eta_s", (due[0].toEpochMilli() - publishedAt.get()) / 1000.0);
            if (publishedAt.get() > due[0].toEpochMilli()) {
                m.error("publishing ended after the due time: the lateness includes publishing; use fewer --messages");
            }
        }
        if (early.get() > 0) {
            m.error(early.get() + " messages received before their eta (the earliest " + (-earliestMicros.get() / 1000.0)
                    + " ms early)");
        }
        if (seen.foreign() > 0) {
            m.error(seen.foreign() + " messages without a sequence number of this run");
        }
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + n + " delayed messages before the deadline of "
                    + deadline.budget().toSeconds() + " s");
        }
    }
}
