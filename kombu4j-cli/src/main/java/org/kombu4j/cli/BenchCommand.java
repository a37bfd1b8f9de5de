package org.kombu4j.cli;

import java.util.concurrent.Callable;
import org.kombu4j.bench.Bench;
import org.kombu4j.bench.BenchOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kombu4j bench}: the benchmark runner of kombu4j-bench ({@link Bench#run}) with its own options
 * ({@link BenchOptions}, declared once there) and the CLI's {@code --url}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run an end-to-end benchmark scenario; one JSON object per measurement on standard output "
                + "(system, transport, scenario, messages, seconds, msgs_per_s, cpu_s_per_1k, p50_ms, p90_ms, p99_ms, "
                + "max_ms, connections, missing, duplicates), progress on standard error."})
final class BenchCommand implements Callable<Integer> {
    @ParentCommand KombuCommand top;

    @Mixin BenchOptions options = new BenchOptions();

    @Override
    public Integer call() {
        int status = Bench.run(top.resolveUrl(), options, top.out, top.err);
        top.out.flush();
        return status;
    }
}
