package org.kombu4j.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chaos suite (see RELIABILITY.md): for each transport but memory, a {@link ChaosRun} against a private
 * broker; fails on any loss. Off unless {@code -Dkombu4j.chaos=ci} (about a minute per transport) or
 * {@code -Dkombu4j.chaos=full} (100,000 messages per transport); {@code -Dkombu4j.chaos.transports=redis,sqlite}
 * picks transports. {@code kombu4j-bench/chaos.sh} runs it. Each result line is also appended to
 * {@code kombu4j-bench/target/chaos/results.txt}, the consumers' logs are beside it.
 */
class ChaosSuiteTest {
    private static final Path DIR = Path.of("target", "chaos");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"redis", "rabbitmq", "postgresql", "mariadb", "sqlite"})
    void nothingIsLostThroughKillsRestartsAndCuts(String transport) throws Exception {
        String size = System.getProperty("kombu4j.chaos", "").toLowerCase(Locale.ROOT);
        Assumptions.assumeTrue(size.equals("ci") || size.equals("full"),
                "the chaos suite runs with -Dkombu4j.chaos=ci or =full (kombu4j-bench/chaos.sh)");
        String only = System.getProperty("kombu4j.chaos.transports", "");
        List<String> selected = only.isBlank() ? ChaosTarget.TRANSPORTS : Arrays.asList(only.split(","));
        Assumptions.assumeTrue(selected.contains(transport), transport + " not selected");
        ChaosRun.Plan plan = size.equals("full") ? ChaosRun.Plan.full() : ChaosRun.Plan.ci();
        plan = plan.with(System.getProperty("kombu4j.chaos.plan"));
        long seed = Long.getLong("kombu4j.chaos.seed", System.nanoTime());
        ChaosRun.Result r;
        try (ChaosTarget target = ChaosTarget.start(transport)) {
            r = new ChaosRun(target, plan, System.err, DIR, seed).run();
        }
        String line = r.line() + " size=" + size + " seed=" + seed;
        System.out.println(line);
        Files.createDirectories(DIR);
        Files.writeString(DIR.resolve("results.txt"), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        assertThat(r.lost()).as("lost messages: " + line).isZero();
        assertThat(r.passed()).as(line).isTrue();
    }

}
