package org.kombu4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Runs the real {@code ./kombu4j} launcher, but only when its jar is built and current (it must not start a nested build). */
class LauncherTest {
    @Test
    void launcherPrintsHelp() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        Path launcher = root.resolve("kombu4j");
        Path jar = root.resolve("kombu4j-cli/target/kombu4j.jar");
        assumeTrue(Files.isExecutable(launcher) && Files.exists(jar), "launcher or jar not present");
        assumeTrue(!anyNewerThan(root, Files.getLastModifiedTime(jar)), "jar older than the sources");
        Process p = new ProcessBuilder(launcher.toString(), "--help").directory(Path.of("/").toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out).startsWith("Usage: kombu4j");
    }

    static boolean anyNewerThan(Path root, FileTime time) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> !f.toString().contains("/target/") && !f.toString().contains("/.git/"))
                    .filter(f -> f.getFileName().toString().equals("pom.xml") || f.toString().contains("/src/main/"))
                    .filter(Files::isRegularFile)
                    .anyMatch(f -> {
                        try {
                            return Files.getLastModifiedTime(f).compareTo(time) > 0;
                        } catch (IOException e) {
                            return true;
                        }
                    });
        }
    }
}
