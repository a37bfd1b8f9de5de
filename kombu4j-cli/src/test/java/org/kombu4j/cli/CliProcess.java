package org.kombu4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code kombu4j} command as a real process ({@code java -cp <test class path> Main}), so that
 * what two commands share is what a user's two commands would share: only the broker. The child's
 * {@code KOMBU4J_HOME} is a directory of the test's (the default {@code sqlite://} file lives there);
 * {@code KOMBU4J_URL}, {@code XDG_DATA_HOME} and {@code KOMBU4J_DEBUG} are removed, so no test ever
 * touches the user's {@code ~/.local/share/kombu4j}.
 */
final class CliProcess {
    private final Path home;
    private final Path logs;
    private final Map<String, String> extraEnv;
    private int runs;

    /** Commands whose default broker file is {@code home/broker.db}; their output files go to {@code logs}. */
    CliProcess(Path home, Path logs) {
        this(home, logs, Map.of());
    }

    private CliProcess(Path home, Path logs, Map<String, String> extraEnv) {
        this.home = home;
        this.logs = logs;
        this.extraEnv = extraEnv;
    }

    /** The same, with these variables set too (an empty value removes the variable). */
    CliProcess withEnv(Map<String, String> env) {
        return new CliProcess(home, logs, env);
    }

    /** A command started and not waited for; standard output and error go to files. */
    record Started(Process process, Path outFile, Path errFile) {
        String out() throws IOException {
            return Files.readString(outFile, StandardCharsets.UTF_8);
        }

        String err() throws IOException {
            return Files.readString(errFile, StandardCharsets.UTF_8);
        }

        /** Waits for the command to end (at most {@code seconds}) and returns what it did. */
        CliRunner.Result await(long seconds) throws IOException, InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("kombu4j did not end within " + seconds + " s; stderr: " + err() + " stdout: " + out());
            }
            return new CliRunner.Result(process.exitValue(), out(), err());
        }
    }

    ProcessBuilder builder(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Short-lived commands on a shared 2-core machine: the C1 compiler alone starts fastest.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(logs.toFile());
        Map<String, String> env = pb.environment();
        env.remove("KOMBU4J_URL");
        env.remove("KOMBU4J_DEBUG");
        env.remove("XDG_DATA_HOME");
        env.put("KOMBU4J_HOME", home.toString());
        extraEnv.forEach((k, v) -> {
            if (v.isEmpty()) {
                env.remove(k);
            } else {
                env.put(k, v);
            }
        });
        return pb;
    }

    /** Starts a command with its output in files. */
    Started start(String... args) throws IOException {
        int n = ++runs;
        Path out = logs.resolve("run" + n + ".out");
        Path err = logs.resolve("run" + n + ".err");
        Process p = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
        return new Started(p, out, err);
    }

    /** Runs a command to its end (at most 60 s). */
    CliRunner.Result run(String... args) throws IOException, InterruptedException {
        return start(args).await(60);
    }

    /** Runs a command with {@code stdin} as its standard input. */
    CliRunner.Result runWithInput(String stdin, String... args) throws IOException, InterruptedException {
        Path in = logs.resolve("run" + (runs + 1) + ".in");
        Files.writeString(in, stdin, StandardCharsets.UTF_8);
        int n = ++runs;
        Path out = logs.resolve("run" + n + ".out");
        Path err = logs.resolve("run" + n + ".err");
        Process p = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(in.toFile()).start();
        return new Started(p, out, err).await(60);
    }

    private static java.io.File nullFile() {
        return new java.io.File("/dev/null");
    }
}
