package org.kombu4j.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one peer script under a deadline: its standard output is read as JSON lines (other lines
 * are ignored), its standard error is forwarded to ours with a prefix. A script still running at
 * the deadline is killed with its children.
 */
final class PeerProcess {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {
    };

    /** What the script printed and how it ended. */
    record Outcome(List<Map<String, Object>> lines, int exitCode, boolean timedOut) {
    }

    private PeerProcess() {
    }

    static Outcome run(List<String> command, Deadline deadline, PrintStream err, String label) throws IOException {
        return run(new ProcessBuilder(command), deadline, err, label);
    }

    /** As {@link #run(List, Deadline, PrintStream, String)}, with the directory and environment {@code pb} has. */
    static Outcome run(ProcessBuilder pb, Deadline deadline, PrintStream err, String label) throws IOException {
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        Process proc = pb.start();
        proc.getOutputStream().close();
        List<Map<String, Object>> lines = new ArrayList<>();
        Thread errPump = new Thread(() -> pump(proc, err, label), "kombu4j-bench-peer-stderr");
        errPump.setDaemon(true);
        errPump.start();
        Thread outPump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    String t = line.trim();
                    if (t.startsWith("{")) {
                        try {
                            Map<String, Object> obj = JSON.readValue(t, MAP);
                            synchronized (lines) {
                                lines.add(obj);
                            }
                        } catch (IOException e) {
                            err.println("[" + label + "] unreadable JSON line: " + t);
                        }
                    }
                }
            } catch (IOException e) {
                err.println("[" + label + "] reading output: " + e.getMessage());
            }
        }, "kombu4j-bench-peer-stdout");
        outPump.setDaemon(true);
        outPump.start();
        boolean done;
        try {
            done = proc.waitFor(Math.max(1, deadline.remaining().toMillis()), TimeUnit.MILLISECONDS);
            if (!done) {
                proc.descendants().forEach(ProcessHandle::destroy);
                proc.destroy();
                if (!proc.waitFor(5, TimeUnit.SECONDS)) {
                    proc.descendants().forEach(ProcessHandle::destroyForcibly);
                    proc.destroyForcibly();
                }
            }
            outPump.join(5000);
            errPump.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            proc.destroyForcibly();
            done = false;
        }
        synchronized (lines) {
            return new Outcome(new ArrayList<>(lines), done ? proc.exitValue() : -1, !done);
        }
    }

    private static void pump(Process proc, PrintStream err, String label) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                err.println("[" + label + "] " + line);
            }
        } catch (IOException e) {
            // The process went away; nothing more to forward.
        }
    }
}
