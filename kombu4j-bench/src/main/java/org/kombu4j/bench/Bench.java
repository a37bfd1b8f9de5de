package org.kombu4j.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.KombuException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kombu4j bench SCENARIO [options]}: measures kombu4j against a broker URL, interleaved with
 * the peers found for it, and prints one JSON object per measurement on standard output (progress
 * on standard error). With {@code --compare} a Markdown table of medians and ratios follows the
 * JSON lines. See {@code BENCHMARKS.md}.
 *
 * <p>Exit codes: 0 every kombu4j measurement completed without errors (peer failures are reported
 * but do not count), 1 a kombu4j measurement had errors, 2 bad usage.
 */
public final class Bench {
    private Bench() {
    }

    /** Bench's own command line: the broker URL and {@link BenchOptions}. */
    @Command(name = "kombu4j bench", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Benchmarks kombu4j against a broker (and its peers); one JSON object per measurement on stdout.")
    static final class Options {
        @Option(names = "--url", paramLabel = "URL", description = "broker URL (default: $KOMBU4J_URL, else memory://)")
        @Nullable String url;

        @Mixin
        BenchOptions bench = new BenchOptions();
    }

    /** Runs the command line; see the class comment for the exit codes. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs {@code kombu4j bench} with {@code args} (what follows {@code bench} on the command line).
     *
     * @return the exit code: 0, 1 or 2
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o = new Options();
        CommandLine cl = new CommandLine(o);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            err.println("kombu4j bench: " + e.getMessage() + " (see --help)");
            return 2;
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(out);
            return 0;
        }
        if (cl.isVersionHelpRequested()) {
            out.println("kombu4j bench");
            return 0;
        }
        return run(o.url, o.bench, out, err);
    }

    /**
     * Runs the scenarios {@code options} name against {@code url} (null: {@code $KOMBU4J_URL}, else
     * {@code memory://}); for a command line that has parsed {@link BenchOptions} itself, such as the CLI's.
     *
     * @return the exit code: 0, 1 or 2
     */
    public static int run(@Nullable String url, BenchOptions options, PrintStream out, PrintStream err) {
        Settings settings;
        try {
            settings = settings(url, options);
        } catch (IllegalArgumentException | KombuException e) {
            err.println("kombu4j bench: " + e.getMessage());
            return 2;
        }
        TimedSection.prepareHeap(err);
        if (SqlTarget.isSql(settings.url())) {
            SqlTarget target = SqlTarget.parse(settings.url());
            try {
                if (target.ensureDatabase()) {
                    err.println("[bench] created database " + target.describe());
                }
            } catch (java.sql.SQLException | java.io.IOException e) {
                err.println("kombu4j bench: cannot create or reach the database " + target.describe() + ": " + e.getMessage());
                return 1;
            }
        }
        // After the database exists: asking the transport connects.
        if (settings.scenarios().contains(Scenario.DELAYED)) {
            String why = KombuDelayed.unsupported(settings.url());
            if (why != null) {
                err.println("kombu4j bench: delayed: " + why);
                return 1;
            }
        }
        try {
            List<Peer> peers = settings.peers() ? Peers.forUrl(settings.url(), err) : List.of();
            List<Measurement> all = new Harness(settings, out, err, peers).runAll();
            if (settings.compare()) {
                out.println();
                out.print(CompareTable.render(all));
                out.flush();
            }
            long failed = all.stream().filter(m -> m.system().equals(Measurement.KOMBU4J) && m.errors() > 0).count();
            all.stream().filter(m -> m.errors() > 0).forEach(m ->
                    err.println("[bench] " + m.system() + " " + m.scenario() + " #" + m.get("round") + ": " + m.get("error")));
            return failed > 0 ? 1 : 0;
        } catch (RuntimeException e) {
            err.println("kombu4j bench: " + Measurement.describe(e));
            return 1;
        }
    }

    static Settings settings(@Nullable String givenUrl, BenchOptions o) {
        List<Scenario> scenarios;
        if (o.scenario.equalsIgnoreCase("all")) {
            scenarios = Scenario.all();
        } else {
            Optional<Scenario> s = Scenario.byCliName(o.scenario);
            if (s.isEmpty()) {
                throw new IllegalArgumentException("unknown scenario '" + o.scenario
                        + "': expected publish, publish-async, publish-batch, consume-ack, consume-noack, roundtrip, latency, idle, delayed,"
                        + " worker, celery-worker, celery-send, celery-send-async, celery-latency or all");
            }
            scenarios = List.of(s.get());
        }
        String url = givenUrl;
        if (url == null || url.isBlank()) {
            String env = System.getenv(Connection.URL_ENV);
            url = env == null || env.isBlank() ? Connection.DEFAULT_URL : env;
        }
        // Checks the URL and its scheme now (no connection is made), so a typo is a usage error.
        Connection.builder(url).build().close();
        Duration deadline = null;
        if (o.deadline != null) {
            if (!(o.deadline > 0)) {
                throw new IllegalArgumentException("--deadline must be positive, got " + o.deadline);
            }
            deadline = Duration.ofMillis((long) (o.deadline * 1000));
        }
        Set<Settings.Mode> modes = EnumSet.noneOf(Settings.Mode.class);
        if (o.compare) {
            modes.add(Settings.Mode.COMPARE);
        }
        if (!o.noPeers) {
            modes.add(Settings.Mode.PEERS);
        }
        if (o.warmup) {
            modes.add(Settings.Mode.WARMUP);
        }
        switch (o.metrics == null ? "none" : o.metrics) {
            case "none" -> { }
            case "micrometer" -> modes.add(Settings.Mode.MICROMETER);
            default -> throw new IllegalArgumentException("--metrics must be none or micrometer, got '" + o.metrics + "'");
        }
        if (o.publisherProcess) {
            modes.add(Settings.Mode.PUBLISHER_PROCESS);
        }
        int messages = o.messages != null ? o.messages
                : scenarios.equals(List.of(Scenario.DELAYED)) ? Settings.DEFAULT_DELAYED_MESSAGES
                : scenarios.equals(List.of(Scenario.CELERY_LATENCY)) ? Settings.DEFAULT_CELERY_CALLS : Settings.DEFAULT_MESSAGES;
        // The workers' own default (0 here) is their prefetch multiplier (Worker, CeleryWorker: 4 x concurrency, as
        // Celery's worker_prefetch_multiplier); the consumers' is a fixed 100.
        int prefetch = o.prefetch != null ? o.prefetch
                : scenarios.equals(List.of(Scenario.WORKER)) || scenarios.equals(List.of(Scenario.CELERY_WORKER)) ? 0
                : Settings.DEFAULT_PREFETCH;
        return new Settings(scenarios, url, messages, o.bodyBytes, prefetch, o.queues, o.rate, o.seconds, o.repeat,
                modes, deadline, o.concurrency, o.handlerMs);
    }
}
