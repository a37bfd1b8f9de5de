package org.kombu4j.redis;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.kombu4j.testkit.python.PythonKombu;
import org.kombu4j.testkit.python.PythonProcess;

/**
 * Drives {@code interop/kombu_peer.py} (Python Kombu on Redis) through the testkit's runner: it prints
 * {@code READY} once consuming, one JSON object per message, and {@code DONE} at the end. Missing
 * Kombu skips the test, except with {@code CI=true}, where it fails.
 */
final class KombuPeer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KombuPeer() {
    }

    static void require() {
        PythonKombu.requireModules("kombu", "redis");
    }

    /** A running peer. */
    static final class Peer implements AutoCloseable {
        final Process process;
        private final PythonProcess python;
        private final List<String> messages = new ArrayList<>();

        Peer(PythonProcess python) {
            this.python = python;
            this.process = python.process();
        }

        /** Waits for a line starting with {@code prefix}, keeping the messages printed before it; fails after {@code seconds}. */
        String await(String prefix, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                String l = python.nextLine(Duration.ofMillis(100));
                if (l != null && l.startsWith(prefix)) {
                    return l;
                }
                if (l != null && l.startsWith("{")) {
                    messages.add(l);
                }
            }
            throw new AssertionError("Python peer did not print " + prefix + " within " + seconds + " s; stderr:\n"
                    + python.stderr());
        }

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
            python.close();
        }
    }

    static Peer start(String... args) {
        return new Peer(PythonKombu.startStreaming(PythonKombu.script(KombuPeer.class, "/interop/kombu_peer.py"), args));
    }

    /** Runs a peer to completion (publish mode) within {@code seconds}. */
    static void run(int seconds, String... args) throws Exception {
        try (PythonProcess p = PythonKombu.startStreaming(PythonKombu.script(KombuPeer.class, "/interop/kombu_peer.py"),
                args)) {
            p.awaitSuccess(Duration.ofSeconds(seconds), "Python peer " + List.of(args));
        }
    }

    static String json(Object o) throws Exception {
        return JSON.writeValueAsString(o);
    }
}
