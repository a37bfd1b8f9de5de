package org.kombu4j.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** What one measurement does; {@link #cliName()} is how it is named on the command line and in the JSON output. */
public enum Scenario {
    /** Synchronous publish from one thread. */
    PUBLISH("publish", "publish"),
    /** Pipelined publish where the transport offers it; the same as {@link #PUBLISH} otherwise. */
    PUBLISH_ASYNC("publish-async", null),
    /**
     * What {@code kombu4j publish --count N} does: kombu4j publishes through a {@link org.kombu4j.PublishBatch}
     * (a window of outstanding confirms, on the URL as given), timed until every confirm arrived; each message
     * must be confirmed. The raw clients' lines are those of {@link #PUBLISH}.
     */
    PUBLISH_BATCH("publish-batch", null),
    /** Pre-fill N, then consume them acknowledging each, under a prefetch limit. */
    CONSUME_ACK("consume-ack", "consume_ack"),
    /** Pre-fill N, then consume them with no acknowledgements. */
    CONSUME_NOACK("consume-noack", "consume_noack"),
    /**
     * One producer thread publishes N while one consumer (its own connection) consumes and acknowledges them
     * at the same time; timed from the first publish until the last message is consumed. The bench-peers
     * scripts have no such test.
     */
    ROUNDTRIP("roundtrip", null),
    /** Publish at a fixed rate over several queues; one consumer over all; end-to-end latency. */
    LATENCY("latency", "latency"),
    /** A consumer over several empty queues: what waiting costs. */
    IDLE("idle", "idle"),
    /**
     * N messages published with one {@code eta}, all due at the same instant; lateness of each receipt after it.
     * Only on transports with delayed delivery; not part of {@code all}.
     */
    DELAYED("delayed", null),
    /**
     * Pre-fill N, then a {@link org.kombu4j.Worker} with {@code --concurrency} handler threads takes them, each
     * handler sleeping {@code --handler-ms} before it acknowledges; timed from the start until the last message is
     * handled. Not part of {@code all}: its figure is the handlers' sleep as much as kombu4j.
     */
    WORKER("worker", null),
    /**
     * Celery: N no-op tasks pre-filled (untimed) by kombu4j's {@code CeleryClient}, then a {@code CeleryWorker} with
     * {@code --concurrency} threads and no result backend runs them; timed by the worker's own first and last task
     * ({@link CeleryBench}). Peer: Python Celery's prefork worker, concurrency 2.
     */
    CELERY_WORKER("celery-worker", null),
    /** Celery: N {@code CeleryClient.send} of a no-op task, one thread, no result backend. Peer: {@code apply_async}. */
    CELERY_SEND("celery-send", null),
    /**
     * Celery: N {@code CeleryClient.sendAsync} of a no-op task from one thread, timed until every future has
     * completed (the broker has every task, none outstanding); no result backend. Peer: {@code apply_async}.
     */
    CELERY_SEND_ASYNC("celery-send-async", null),
    /**
     * Celery: N sequential calls, each waited for through the result backend (Redis db 12 on a Redis broker, else
     * {@code rpc://}): call-to-result latency, kombu4j's client and worker; the peer adds Java→Python,
     * Python→Java and Python→Python. {@code --messages} is the number of calls (default 1,000).
     */
    CELERY_LATENCY("celery-latency", null);

    private final String cliName;
    private final @Nullable String peerTest;

    Scenario(String cliName, @Nullable String peerTest) {
        this.cliName = cliName;
        this.peerTest = peerTest;
    }

    public String cliName() {
        return cliName;
    }

    /** The {@code test} name the bench-peers scripts print for this scenario, if they have one. */
    public @Nullable String peerTest() {
        return peerTest;
    }

    /** Whether the scenario measures how fast a fixed number of messages moves (publish and consume). */
    public boolean isThroughput() {
        return this != LATENCY && this != IDLE && this != DELAYED && this != CELERY_LATENCY;
    }

    /** Whether it measures Celery's task protocol (kombu4j-celery) rather than plain messages. */
    public boolean isCelery() {
        return this == CELERY_WORKER || this == CELERY_SEND || this == CELERY_SEND_ASYNC || this == CELERY_LATENCY;
    }

    public static Optional<Scenario> byCliName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(s -> s.cliName.equals(n)).findFirst();
    }

    /** The scenario whose peer {@code test} name is {@code test}. */
    public static Optional<Scenario> byPeerTest(String test) {
        return Arrays.stream(values()).filter(s -> test.equals(s.peerTest)).findFirst();
    }

    /**
     * The scenarios {@code all} runs, in order: every one but {@link #DELAYED}, which needs a transport with
     * delayed delivery, {@link #WORKER} and the Celery scenarios; those are asked for by name.
     */
    public static List<Scenario> all() {
        return Arrays.stream(values()).filter(s -> s != DELAYED && s != WORKER && !s.isCelery()).toList();
    }
}
