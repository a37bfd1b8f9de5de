package org.kombu4j.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.KombuException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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

    /** The options, as picocli reads them. */
    @Command(name = "kombu4j bench", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Benchmarks kombu4j against a broker (and its peers); one JSON object per measurement on stdout.")
    static final class Options {
        @Parameters(index = "0", paramLabel = "SCENARIO",
                description = "publish | publish-async | consume-ack | consume-noack | roundtrip | latency | idle | all")
        String scenario = "";

        @Option(names = "--url", paramLabel = "URL", description = "broker URL (default: $KOMBU4J_URL, else memory://)")
        @Nullable String url;

        @Option(names = "--messages", paramLabel = "N", description = "messages per throughput run (default ${DEFAULT-VALUE})")
        int messages = Settings.DEFAULT_MESSAGES;

        @Option(names = "--body-bytes", paramLabel = "B", description = "serialized body size (default ${DEFAULT-VALUE})")
        int bodyBytes = Settings.DEFAULT_BODY_BYTES;

        @Option(names = "--prefetch", paramLabel = "P", description = "consumer prefetch, 0 = unlimited (default ${DEFAULT-VALUE})")
        int prefetch = Settings.DEFAULT_PREFETCH;

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

        @Option(names = "--deadline", paramLabel = "SECONDS",
                description = "hard limit per measurement (default: 60 s + 1 s per 20,000 messages; latency/idle: S + 30 s)")
        @Nullable Double deadline;
    }

    /** Runs the command line; see the class comment for the exit codes. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Below this initial heap a run also measures the JVM growing its heap; see {@link #prepareHeap}. */
    static final long SMALL_HEAP_BYTES = 1L << 30;

    /**
     * Keeps the heap committed across rounds, and says on stderr when it starts small.
     *
     * <p>{@link KombuRunner#settleHeap}'s full collection before each round would let G1 give the heap back
     * down to {@code MaxHeapFreeRatio}, and each round grew it again, page-faulting in hundreds of MB on the
     * threads being timed (seen: 660 MB → 56 MB between rounds, a third of the round's CPU in the kernel's
     * fault path, half the throughput). The flag is manageable, so it is set to 100 here, for whatever JVM
     * options the bench was started with.
     *
     * <p>A heap that starts small is grown the same way during the first rounds: on this machine's VM each
     * 4 KB page fault cost ~10 µs, and 1 KiB memory:// roundtrip rounds ran at 0.2–0.6 M msgs/s instead of
     * 1.0–1.4 M with {@code -Xms2g -XX:+UseTransparentHugePages}. {@code ./kombu4j bench} passes those;
     * {@code java -jar} users are told.
     */
    static void prepareHeap(PrintStream err) {
        try {
            java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .setVMOption("MaxHeapFreeRatio", "100");
        } catch (RuntimeException e) {
            // Not HotSpot, or the flag was fixed on the command line: rounds then pay for regrowing the heap.
        }
        long init = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getInit();
        if (init >= 0 && init < SMALL_HEAP_BYTES) {
            err.printf("[bench] note: the heap starts at %d MB, so rounds also measure the JVM growing it; "
                    + "run the JVM with -Xms2g (and -XX:+UseTransparentHugePages where THP is madvise), "
                    + "as ./kombu4j bench does%n", init >> 20);
        }
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
        Settings settings;
        try {
            settings = settings(o);
        } catch (IllegalArgumentException | KombuException e) {
            err.println("kombu4j bench: " + e.getMessage());
            return 2;
        }
        prepareHeap(err);
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
            err.println("kombu4j bench: " + KombuRunner.describe(e));
            return 1;
        }
    }

    static Settings settings(Options o) {
        List<Scenario> scenarios;
        if (o.scenario.equalsIgnoreCase("all")) {
            scenarios = Scenario.all();
        } else {
            Optional<Scenario> s = Scenario.byCliName(o.scenario);
            if (s.isEmpty()) {
                throw new IllegalArgumentException("unknown scenario '" + o.scenario
                        + "': expected publish, publish-async, consume-ack, consume-noack, roundtrip, latency, idle or all");
            }
            scenarios = List.of(s.get());
        }
        String url = o.url;
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
        return new Settings(scenarios, url, o.messages, o.bodyBytes, o.prefetch, o.queues, o.rate, o.seconds, o.repeat,
                o.compare, !o.noPeers, o.warmup, deadline);
    }
}
