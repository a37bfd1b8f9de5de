package org.kombu4j.bench;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The scenario and knobs of {@code kombu4j bench}, as picocli reads them: a mixin of {@link Bench}'s own command
 * line and of the CLI's {@code bench} subcommand, which adds only the broker URL (its global {@code --url}).
 * {@link Bench#settings} validates them.
 */
public final class BenchOptions {
    @Parameters(index = "0", paramLabel = "SCENARIO",
            description = "publish | publish-async | publish-batch | consume-ack | consume-noack | roundtrip | latency | idle | delayed | worker"
                    + " | celery-worker | celery-send | celery-send-async | celery-latency | all")
    String scenario = "";

    @Option(names = "--messages", paramLabel = "N",
            description = "messages per throughput or delayed run, calls per celery-latency run (default 20000; delayed, celery-latency: 1000)")
    @Nullable Integer messages;

    @Option(names = "--body-bytes", paramLabel = "B", description = "serialized body size (default ${DEFAULT-VALUE})")
    int bodyBytes = Settings.DEFAULT_BODY_BYTES;

    @Option(names = "--prefetch", paramLabel = "P",
            description = "consumer prefetch, 0 = unlimited (default 100); worker, celery-worker (kombu4j's side; Celery keeps its multiplier 4): 0 or unset = the worker's default, 4 x concurrency")
    @Nullable Integer prefetch;

    @Option(names = "--concurrency", paramLabel = "N", description = "worker: handler threads (default ${DEFAULT-VALUE})")
    int concurrency = Settings.DEFAULT_CONCURRENCY;

    @Option(names = "--handler-ms", paramLabel = "MS", description = "worker: how long each handler sleeps before it acks (default ${DEFAULT-VALUE})")
    double handlerMs = Settings.DEFAULT_HANDLER_MS;

    @Option(names = "--queues", paramLabel = "Q", description = "queues for latency and idle (default ${DEFAULT-VALUE})")
    int queues = Settings.DEFAULT_QUEUES;

    @Option(names = "--rate", paramLabel = "R", description = "latency: messages per second (default ${DEFAULT-VALUE})")
    double rate = Settings.DEFAULT_RATE;

    @Option(names = "--seconds", paramLabel = "S", description = "latency and idle: duration (default ${DEFAULT-VALUE})")
    double seconds = Settings.DEFAULT_SECONDS;

    @Option(names = "--repeat", paramLabel = "K", description = "repetitions, interleaved with the peers (default ${DEFAULT-VALUE})")
    int repeat = Settings.DEFAULT_REPEAT;

    @Option(names = "--compare", description = "after the JSON lines, print a Markdown table of medians and ratios")
    boolean compare;

    @Option(names = "--no-peers", description = "measure kombu4j alone")
    boolean noPeers;

    @Option(names = "--warmup", description = "before the measured rounds, run each kombu4j scenario (and each in-process peer) unreported until it has handled 300,000 messages (3 to 15 rounds); latency until 6,000 messages, at most 5 rounds; idle once (JIT warm-up)")
    boolean warmup;

    @Option(names = "--metrics", paramLabel = "KIND", description = "micrometer: also run each kombu4j scenario with"
            + " the kombu4j-micrometer binder (KombuMetrics on a SimpleMeterRegistry) on its connections, interleaved"
            + " round by round, as system kombu4j+micrometer; none (default) runs kombu4j as it is")
    String metrics = "none";

    @Option(names = "--publisher-process", description = "latency: publish from a separate JVM (always so on sqlite/postgresql/mysql URLs)")
    boolean publisherProcess;

    @Option(names = "--deadline", paramLabel = "SECONDS",
            description = "hard limit per measurement (default: 60 s + 1 s per 20,000 messages; latency/idle: S + 30 s)")
    @Nullable Double deadline;
}
