package org.kombu4j.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the measurements of one invocation: for each repetition and scenario, kombu4j then each
 * peer that supports it (so that slow drifts of the machine hit every system alike), printing each
 * measurement as soon as it exists. A kombu4j run executes on a watchdog thread: should it hang
 * past its deadline despite its own checks, it is abandoned with an error and its entities are
 * deleted anyway.
 */
final class Harness {
    /** How long past its deadline a run may take before the watchdog gives up on it. */
    private static final Duration GRACE = Duration.ofSeconds(10);

    private final Settings settings;
    private final PrintStream out;
    private final PrintStream err;
    private final List<Peer> peers;
    /** With {@code --metrics micrometer}: one binder and registry for every metered round, as an application has. */
    private final org.kombu4j.micrometer.@org.jspecify.annotations.Nullable KombuMetrics metrics;

    Harness(Settings settings, PrintStream out, PrintStream err, List<Peer> peers) {
        this.settings = settings;
        this.out = out;
        this.err = err;
        this.peers = List.copyOf(peers);
        if (settings.micrometer()) {
            metrics = new org.kombu4j.micrometer.KombuMetrics();
            metrics.bindTo(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        } else {
            metrics = null;
        }
    }

    /** Runs everything; returns every measurement, kombu4j's and the peers'. */
    List<Measurement> runAll() {
        List<Measurement> all = new ArrayList<>();
        if (settings.warmup()) {
            for (Scenario scenario : settings.scenarios()) {
                int rounds = warmupRounds(scenario);
                for (int i = 0; i < rounds; i++) {
                    Measurement m = runKombu(scenario, 0);
                    err.println("[bench] warm-up " + scenario.cliName() + (m.errors() > 0 ? " failed: " + m.get("error") : " done"));
                    if (metrics != null) {
                        Measurement mm = runKombu(scenario, 0, metrics);
                        err.println("[bench] warm-up " + KombuRunner.METERED + " " + scenario.cliName()
                                + (mm.errors() > 0 ? " failed: " + mm.get("error") : " done"));
                    }
                }
                for (Peer peer : peers) {
                    if (peer.inProcess() && peer.supports(scenario, settings.url())) {
                        for (int i = 0; i < rounds; i++) {
                            Deadline deadline = Deadline.in(settings.deadlineFor(scenario).plus(Duration.ofSeconds(30)));
                            peer.run(scenario, settings, 0, deadline, err);
                        }
                        err.println("[bench] warm-up " + peer.name() + " " + scenario.cliName() + " done");
                    }
                }
            }
        }
        for (int round = 1; round <= settings.repeat(); round++) {
            for (Scenario scenario : settings.scenarios()) {
                emit(all, runKombu(scenario, round));
                if (metrics != null) {
                    emit(all, runKombu(scenario, round, metrics));
                }
                for (Peer peer : peers) {
                    if (peer.supports(scenario, settings.url())) {
                        err.println("[bench] " + peer.name() + " " + scenario.cliName() + " #" + round);
                        Deadline deadline = Deadline.in(settings.deadlineFor(scenario).plus(Duration.ofSeconds(30)));
                        for (Measurement m : peer.run(scenario, settings, round, deadline, err)) {
                            emit(all, m);
                        }
                    }
                }
            }
        }
        return all;
    }

    /**
     * Messages a JVM system handles before its throughput is measured: fewer leave the JIT mid-way. On
     * this 2-core machine, with Redis busy on the other core, kombu4j's Redis {@code publish-async} took
     * ~200,000 publishes before its CPU per round stopped falling (0.56 s for the first 20,000-message
     * round, 0.05–0.09 s from about the tenth); at 100,000 the reported rounds were still warming up.
     */
    static final int WARMUP_MESSAGES = 300_000;
    static final int MAX_WARMUP_ROUNDS = 15;
    /**
     * {@link #WARMUP_MESSAGES} for the SQL schemes: a database moves a few thousand messages per second (a
     * synchronous PostgreSQL INSERT is a commit), so 300,000 would take minutes per scenario and system, while the
     * client's share of the CPU per message, which the JIT changes, is small beside the database's.
     */
    static final int SQL_WARMUP_MESSAGES = 60_000;
    /**
     * Rounds a throughput scenario warms up at the least, however many messages one has: each round also runs
     * the connect/declare/consume/teardown code, which the JIT has seen once after one round. After one
     * 300,000-message warm-up round the first measured memory:// 1 KiB roundtrip ran at 0.47–0.91 M msgs/s
     * in nine runs, the later rounds at 1.0–1.4 M; after three it was in line with them.
     */
    static final int MIN_WARMUP_ROUNDS = 3;

    /**
     * Messages the latency scenario handles before it is measured. At 200 msgs/s over 10 s (2,000 a round)
     * kombu4j's Redis p99 was 2.9, 2.7, 0.52, 0.49, 0.52, 0.53 ms in six rounds after one warm-up round,
     * its CPU per round falling from 1.58 to 0.39 s: the JIT needs about three such rounds.
     */
    static final int LATENCY_WARMUP_MESSAGES = 6_000;

    /**
     * How many unreported rounds {@code --warmup} runs: a throughput scenario until it has handled
     * {@link #WARMUP_MESSAGES} ({@link #SQL_WARMUP_MESSAGES} on SQL URLs; at least {@link #MIN_WARMUP_ROUNDS}, at most
     * {@link #MAX_WARMUP_ROUNDS} rounds), latency until
     * {@link #LATENCY_WARMUP_MESSAGES} (at most 5 rounds), idle and delayed once.
     */
    int warmupRounds(Scenario scenario) {
        if (scenario == Scenario.IDLE || scenario == Scenario.DELAYED) {
            return 1;
        }
        if (scenario == Scenario.CELERY_LATENCY) {
            return 2;
        }
        if (scenario == Scenario.LATENCY) {
            long per = settings.latencyMessages();
            return (int) Math.max(1, Math.min(5, (LATENCY_WARMUP_MESSAGES + per - 1) / per));
        }
        long budget = SqlTarget.isSql(settings.url()) ? SQL_WARMUP_MESSAGES : WARMUP_MESSAGES;
        long rounds = (budget + settings.messages() - 1L) / settings.messages();
        return (int) Math.max(MIN_WARMUP_ROUNDS, Math.min(MAX_WARMUP_ROUNDS, rounds));
    }

    private void emit(List<Measurement> all, Measurement m) {
        all.add(m);
        out.println(m.toJson());
        out.flush();
    }

    Measurement runKombu(Scenario scenario, int round) {
        return runKombu(scenario, round, null);
    }

    /** One kombu4j round; with {@code observer} on its measured connections (the metered system) if not null. */
    Measurement runKombu(Scenario scenario, int round, org.kombu4j.observe.@org.jspecify.annotations.Nullable KombuObserver observer) {
        int queues = scenario == Scenario.LATENCY || scenario == Scenario.IDLE ? settings.queues() : 1;
        BenchEntities entities = BenchEntities.create(queues);
        Deadline deadline = Deadline.in(settings.deadlineFor(scenario));
        KombuRunner runner = new KombuRunner(settings, err, observer);
        err.println("[bench] " + (observer == null ? "kombu4j " : KombuRunner.METERED + " ") + scenario.cliName() + " #" + round + " on " + entities.prefix() + ".*");
        FutureTask<Measurement> task = new FutureTask<>(() -> runner.run(scenario, round, entities, deadline));
        Thread worker = new Thread(task, "kombu4j-bench-" + scenario.cliName());
        worker.setDaemon(true);
        worker.start();
        try {
            return task.get(deadline.remaining().plus(GRACE).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            worker.interrupt();
            return abandoned(scenario, round, "hung past its deadline of " + deadline.budget().toSeconds()
                    + " s; abandoned");
        } catch (ExecutionException e) {
            return abandoned(scenario, round, Measurement.describe(e.getCause() == null ? e : e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return abandoned(scenario, round, "interrupted");
        } finally {
            entities.delete(settings.url(), err);
        }
    }

    private Measurement abandoned(Scenario scenario, int round, String why) {
        Measurement m = new Measurement(Measurement.KOMBU4J, "?", scenario.cliName()).put("round", round);
        return m.error(why);
    }
}
