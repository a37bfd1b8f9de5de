package org.kombu4j.serialization;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs scripts under the system's Python with Kombu, for cross-checks against the real library. Absent Kombu
 * skips the calling test, except under CI (env {@code CI=true}), where it fails so a missing install is noticed.
 */
public final class PythonKombu {
    private static final String PYTHON = "/usr/bin/python3";
    private static volatile Optional<String> version;

    private PythonKombu() {
    }

    /** Kombu's version, after failing (CI) or skipping (elsewhere) the test if Python Kombu is missing. */
    public static String requireKombu() {
        Optional<String> v = version();
        if (v.isEmpty()) {
            String why = PYTHON + " with the kombu module is not available"
                    + " (apt-get install python3-kombu python3-msgpack python3-yaml python3-zstandard python3-brotli)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        return v.orElseThrow();
    }

    /** True when Kombu is at least {@code major.minor}. */
    public static boolean atLeast(String kombuVersion, int major, int minor) {
        String[] parts = kombuVersion.split("[.]");
        int ma = Integer.parseInt(parts[0]);
        int mi = parts.length > 1 ? Integer.parseInt(parts[1].replaceAll("\\D.*", "")) : 0;
        return ma > major || (ma == major && mi >= minor);
    }

    private static Optional<String> version() {
        Optional<String> v = version;
        if (v == null) {
            try {
                String out = run("import kombu; print(kombu.__version__)", List.of()).strip();
                v = out.isEmpty() ? Optional.empty() : Optional.of(out);
            } catch (IOException | AssertionError e) {
                v = Optional.empty();
            }
            version = v;
        }
        return v;
    }

    /** Runs {@code script} with {@code args}; returns its standard output, failing on a non-zero exit. */
    public static String run(String script, List<String> args) throws IOException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new IOException(PYTHON + " not found");
        }
        Path file = Files.createTempFile("kombu4j-", ".py");
        Path err = Files.createTempFile("kombu4j-", ".err");
        try {
            Files.writeString(file, script, StandardCharsets.UTF_8);
            List<String> command = new java.util.ArrayList<>(List.of(PYTHON, file.toString()));
            command.addAll(args);
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("python timed out");
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("python exited " + p.exitValue() + ": " + Files.readString(err));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(err);
        }
    }
}
