package org.kombu4j.redis;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs {@code interop/kombu_peer.py} with Debian's Python Kombu ({@code /usr/bin/python3}). Missing
 * Kombu skips the test, except with {@code CI=true}, where it fails.
 */
final class PythonKombu {
    static final String PYTHON = "/usr/bin/python3";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PythonKombu() {
    }

    static void require() {
        boolean ok;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import kombu, redis").redirectErrorStream(true).start();
            ok = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            ok = false;
        }
        if (!ok) {
            String msg = "Python Kombu is not importable with " + PYTHON + " (apt-get install python3-kombu python3-redis)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(msg + " (CI=true: this test must not be skipped)");
            }
            Assumptions.abort(msg);
        }
    }

    private static Path script() throws IOException {
        Path tmp = Files.createTempFile("kombu_peer", ".py");
        try (var in = PythonKombu.class.getResourceAsStream("/interop/kombu_peer.py")) {
            Files.write(tmp, in.readAllBytes());
        }
        tmp.toFile().deleteOnExit();
        return tmp;
    }

    /** A running peer: its output lines arrive in {@link #lines}. */
    static final class Peer implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final StringBuilder err = new StringBuilder();

        Peer(Process p) {
            this.process = p;
            Thread out = new Thread(() -> pump(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)), true));
            Thread er = new Thread(() -> pump(new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8)), false));
            out.setDaemon(true);
            er.setDaemon(true);
            out.start();
            er.start();
        }

        private void pump(BufferedReader r, boolean stdout) {
            try {
                for (String l; (l = r.readLine()) != null;) {
                    if (stdout) {
                        lines.add(l);
                    } else {
                        synchronized (err) {
                            err.append(l).append('\n');
                        }
                    }
                }
            } catch (IOException ignored) {
                // Process ended.
            }
        }

        /** Waits for a line starting with {@code prefix}; fails after {@code seconds}. */
        String await(String prefix, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l != null && l.startsWith(prefix)) {
                    return l;
                }
                if (l != null && !l.startsWith("{")) {
                    continue;
                }
                if (l != null) {
                    messages.add(l);
                }
            }
            throw new AssertionError("Python peer did not print " + prefix + " within " + seconds + " s; stderr:\n" + err);
        }

        final List<String> messages = new ArrayList<>();

        /** Waits for DONE and returns the messages printed, as maps. */
        List<Map<String, Object>> done(int seconds) throws Exception {
            await("DONE", seconds);
            process.waitFor(10, TimeUnit.SECONDS);
            List<Map<String, Object>> out = new ArrayList<>();
            for (String m : messages) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = JSON.readValue(m, Map.class);
                out.add(map);
            }
            return out;
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    static Peer start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-u", script().toString()));
        cmd.addAll(List.of(args));
        return new Peer(new ProcessBuilder(cmd).start());
    }

    /** Runs a peer to completion (publish mode) within {@code seconds}. */
    static void run(int seconds, String... args) throws Exception {
        try (Peer p = start(args)) {
            if (!p.process.waitFor(seconds, TimeUnit.SECONDS)) {
                throw new AssertionError("Python peer timed out: " + List.of(args));
            }
            if (p.process.exitValue() != 0) {
                Thread.sleep(100);
                throw new AssertionError("Python peer failed (" + p.process.exitValue() + "): " + p.err);
            }
        }
    }

    static String json(Object o) throws Exception {
        return JSON.writeValueAsString(o);
    }
}
