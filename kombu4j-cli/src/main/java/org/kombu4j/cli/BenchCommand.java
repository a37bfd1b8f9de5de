package org.kombu4j.cli;

import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kombu4j bench}: the flags of the benchmark runner, which lives in kombu4j-bench. Until that
 * module is on the classpath the command only reports that it is missing.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run an end-to-end benchmark scenario; one JSON object per measurement on standard output "
                + "(system, transport, scenario, messages, seconds, msgs_per_s, cpu_s_per_1k, p50_ms, p90_ms, p99_ms, "
                + "max_ms, connections, missing, duplicates), progress on standard error.",
                "Needs the kombu4j-bench module."})
final class BenchCommand implements Callable<Integer> {
    @ParentCommand KombuCommand top;

    @Parameters(index = "0", paramLabel = "SCENARIO",
            description = "publish | publish-async | consume-ack | consume-noack | latency | idle")
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

    @Option(names = "--compare", description = "Also run the same scenario on Python Kombu and print both.")
    boolean compare;

    @Override
    public Integer call() {
        top.err.println("bench: not available yet (kombu4j-bench module not built)");
        return 1;
    }
}
