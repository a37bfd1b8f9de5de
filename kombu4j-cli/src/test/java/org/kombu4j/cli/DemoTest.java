package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.kombu4j.cli.CliRunner.run;
import static org.kombu4j.cli.CliRunner.runWith;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoTest {
    /** In-process on the command's default, sqlite://: the file is under target/ (KOMBU4J_HOME, set in the POM). */
    @Test
    void demoWalksThroughTheModelAndCleansUp() {
        CliRunner.Result r = run("demo");
        assertThat(r.status()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("kombu4j demo on sqlite://", "1. Topology", "2. Published 6 messages",
                "3. Consumed on the event loop", "4. Where each message went", "9 of 9 deliveries received and acknowledged",
                "Cleaned up 5 queues and 3 exchanges.");
        assertThat(r.out()).contains("demo.direct", "demo.events", "demo.broadcast", "order.*", "user.signup", "text/plain");
        assertThat(r.out()).doesNotContain("MISMATCH");
        assertThat(r.out()).containsPattern("in \\d+\\.\\d ms \\(\\d+ msgs/s\\)");
        assertThat(run("--url", "sqlite://", "queues").out()).doesNotContain("demo.");
        CliRunner.Result onMemory = run("--url", "memory://", "demo");
        assertThat(onMemory.status()).as(onMemory.err()).isZero();
        assertThat(onMemory.out()).contains("kombu4j demo on memory://", "9 of 9 deliveries received and acknowledged");
    }

    @Test
    void demoRunsTwiceAndIgnoresTheEnvironmentUrl() {
        assertThat(run("demo").status()).isZero();
        CliRunner.Result r = runWith(Map.of("KOMBU4J_URL", "nosuch://h"), "", "demo");
        assertThat(r.status()).as(r.err()).isZero();
    }

    @Test
    void demoHonoursAnExplicitUrl() {
        CliRunner.Result r = run("--url", "nosuch://h", "demo");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
    }
}
