package org.kombu4j.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Runs the command in-process with captured streams. Unless the test's environment names one, the URL is
 * {@code memory://} (not the command's default, {@code sqlite://}), whose queues are shared by every run in
 * the JVM; the real default is tested with real processes ({@link CliProcess}).
 */
final class CliRunner {
    private CliRunner() {
    }

    record Result(int status, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    static Result run(String... args) {
        return runWith(Map.of(), "", args);
    }

    static Result runWith(Map<String, String> env, String stdin, String... args) {
        return runWith(env, stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    static Result runWith(Map<String, String> env, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> withUrl = new HashMap<>(env);
        withUrl.putIfAbsent("KOMBU4J_URL", "memory://");
        int status = Main.run(args, new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), withUrl);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A name no other test uses, so tests sharing the in-process broker do not see each other's messages. */
    static String unique(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    }
}
