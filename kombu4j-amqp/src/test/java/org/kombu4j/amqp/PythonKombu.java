package org.kombu4j.amqp;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs src/test/resources/interop/kombu_interop.py with the system's Python Kombu. */
final class PythonKombu {
    static final String PYTHON = "/usr/bin/python3";
    static final ObjectMapper JSON = new ObjectMapper();

    private PythonKombu() {
    }

    /** Skips the test (fails it when CI=true) unless python3 can import kombu and amqp. */
    static void require() {
        String why = null;
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import kombu, amqp").redirectErrorStream(true).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                why = "python3 -c 'import kombu' timed out";
            } else if (p.exitValue() != 0) {
                why = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            }
        } catch (IOException e) {
            why = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "interrupted";
        }
        if (why != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError("Python Kombu is needed for the interop tests (apt-get install python3-kombu): " + why);
            }
            Assumptions.abort("Python Kombu not available: " + why);
        }
    }

    /** Runs the script; returns its standard output, failing with its error output if it fails. */
    static String run(String mode, String url, Object spec) throws IOException, InterruptedException {
        Path script;
        try {
            script = Path.of(PythonKombu.class.getResource("/interop/kombu_interop.py").toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        Process p = new ProcessBuilder(PYTHON, script.toString(), mode, url, JSON.writeValueAsString(spec)).start();
        // Small outputs: read after exit is safe, but drain stderr concurrently to be sure nothing blocks.
        var err = new java.io.ByteArrayOutputStream();
        Thread drain = new Thread(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException ignored) {
                // Process gone.
            }
        });
        drain.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kombu_interop.py " + mode + " timed out");
        }
        drain.join(5000);
        if (p.exitValue() != 0) {
            throw new AssertionError("kombu_interop.py " + mode + " failed (" + p.exitValue() + "):\n"
                    + err.toString(StandardCharsets.UTF_8) + out);
        }
        return out;
    }
}
