package org.kombu4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.kombu4j.bench.Bench;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Unmatched;

/**
 * {@code kombu4j bench}: hands its flags to the benchmark runner in kombu4j-bench
 * ({@link org.kombu4j.bench.Bench#run}); flags it does not declare ({@code --warmup}, {@code --no-peers},
 * {@code --deadline}) pass through unchanged.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run an end-to-end benchmark scenario; one JSON object per measurement on standard output "
                + "(system, transport, scenario, messages, seconds, msgs_per_s, cpu_s_per_1k, p50_ms, p90_ms, p99_ms, "
                + "max_ms, connections, missing, duplicates), progress on standard error.",
                "Also: --warmup (one unreported run first), --no-peers, --deadline SECONDS."})
final class BenchCommand implements Callable<Integer> {
    @ParentCommand KombuCommand top;

    @Parameters(index = "0", paramLabel = "SCENARIO",
            description = "publish | publish-async | consume-ack | consume-noack | roundtrip | latency | idle")
    String scenario = "";

    @Option(names = "--messages", paramLabel = "N", description = "Messages per measurement.")
    @Nullable Long messages;

    @Option(names = "--body-bytes", paramLabel = "B", description = "Body size in bytes.")
    @Nullable Integer bodyBytes;

    @Option(names = "--prefetch", paramLabel = "P", description = "Consumer prefetch.")
    @Nullable Integer prefetch;

    @Option(names = "--queues", paramLabel = "Q", description = "Number of queues.")
    @Nullable Integer queues;

    @Option(names = "--rate", paramLabel = "R", description = "Publish rate, messages per second (latency, idle).")
    @Nullable Double rate;

    @Option(names = "--seconds", paramLabel = "S", description = "Duration of time-bound scenarios.")
    @Nullable Double seconds;

    @Option(names = "--repeat", paramLabel = "K", description = "Repeat each measurement K times.")
    @Nullable Integer repeat;

    @Option(names = "--compare", description = "After the JSON lines, print a Markdown table of medians with kombu4j/peer ratios.")
    boolean compare;

    @Unmatched
    List<String> rest = new ArrayList<>();

    @Override
    public Integer call() {
        List<String> args = new ArrayList<>();
        args.add(scenario);
        args.add("--url");
        args.add(top.resolveUrl());
        add(args, "--messages", messages);
        add(args, "--body-bytes", bodyBytes);
        add(args, "--prefetch", prefetch);
        add(args, "--queues", queues);
        add(args, "--rate", rate);
        add(args, "--seconds", seconds);
        add(args, "--repeat", repeat);
        if (compare) {
            args.add("--compare");
        }
        args.addAll(rest);
        int status = Bench.run(args.toArray(new String[0]), top.out, top.err);
        top.out.flush();
        return status;
    }

    private static void add(List<String> args, String flag, @Nullable Object value) {
        if (value != null) {
            args.add(flag);
            args.add(String.valueOf(value));
        }
    }
}
