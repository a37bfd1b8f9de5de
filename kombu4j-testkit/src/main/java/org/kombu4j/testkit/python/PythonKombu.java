package org.kombu4j.testkit.python;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * Runs Python scripts with the system's Python and Kombu, for cross-checks against the real library.
 * A missing Python module skips the calling test, except with {@code CI=true}, where it fails.
 * A script's standard error is collected and shown when it fails or times out.
 */
public final class PythonKombu {
    /** The interpreter Debian's python3-* packages are installed for. */
    public static final Path PYTHON = Path.of("/usr/bin/python3");
    /**
     * Set by the second interop pass of {@code ./run-tests} to the version of the Kombu it put on
     * {@code PYTHONPATH}, so that pass cannot quietly test the default Kombu again.
     */
    public static final String EXPECTED_VERSION_VARIABLE = "KOMBU4J_EXPECT_KOMBU_VERSION";
    private static final Duration IMPORT_TIMEOUT = Duration.ofSeconds(30);

    /** "import a, b" → empty when it worked, else why not. */
    private static final Map<String, Optional<String>> IMPORT_FAILURES = new ConcurrentHashMap<>();
    /** Resource name → the script extracted from it. */
    private static final Map<String, Path> SCRIPTS = new ConcurrentHashMap<>();
    private static volatile String version;

    private PythonKombu() {
    }

    /**
     * Skips the test (fails it with {@code CI=true}) unless {@link #PYTHON} can import every one of
     * {@code modules} (e.g. {@code "kombu", "redis"}); the message names the Debian packages to install.
     */
    public static void requireModules(String... modules) {
        String imports = "import " + String.join(", ", modules);
        Optional<String> failure = IMPORT_FAILURES.computeIfAbsent(imports, PythonKombu::tryImport);
        if (failure.isPresent()) {
            List<String> packages = new ArrayList<>();
            for (String m : modules) {
                packages.add("python3-" + m);
            }
            throw TestEnvironment.unavailable(PYTHON + " cannot " + imports + " (apt-get install "
                    + String.join(" ", packages) + ", or run ./run-tests): " + failure.get());
        }
    }

    private static Optional<String> tryImport(String imports) {
        if (!Files.isExecutable(PYTHON)) {
            return Optional.of(PYTHON + " is not installed");
        }
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", imports).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(IMPORT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return Optional.of("python3 -c '" + imports + "' timed out");
            }
            // The traceback's last line says which module is missing.
            return p.exitValue() == 0 ? Optional.empty() : Optional.of(out.substring(out.lastIndexOf('\n') + 1));
        } catch (IOException e) {
            return Optional.of(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /** Kombu's version, after skipping (failing with {@code CI=true}) the test if Python Kombu is missing. */
    public static String requireKombu() {
        requireModules("kombu");
        String v = version;
        if (v == null) {
            v = runCode("import kombu; print(kombu.__version__)", Duration.ofSeconds(30)).strip();
            version = v;
        }
        return v;
    }

    /** The Kombu version the run expects ({@link #EXPECTED_VERSION_VARIABLE}), if it names one. */
    public static Optional<String> expectedVersion() {
        String v = System.getenv(EXPECTED_VERSION_VARIABLE);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }

    /** True when {@code kombuVersion} (e.g. "5.2.4") is at least {@code major.minor}. */
    public static boolean atLeast(String kombuVersion, int major, int minor) {
        String[] parts = kombuVersion.split("[.]");
        int ma = Integer.parseInt(parts[0]);
        int mi = parts.length > 1 ? Integer.parseInt(parts[1].replaceAll("\\D.*", "")) : 0;
        return ma > major || (ma == major && mi >= minor);
    }

    /**
     * The class-path resource {@code resource} (e.g. {@code "/interop/kombu_peer.py"}) of
     * {@code anchor}'s class loader as a file Python can run; extracted once, deleted on exit.
     */
    public static Path script(Class<?> anchor, String resource) {
        return SCRIPTS.computeIfAbsent(anchor.getName() + resource, key -> extract(anchor, resource));
    }

    private static Path extract(Class<?> anchor, String resource) {
        try (InputStream in = anchor.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + resource + " next to " + anchor.getName());
            }
            String name = Path.of(resource).getFileName().toString().replace(".py", "");
            Path file = Files.createTempFile(name, ".py");
            file.toFile().deleteOnExit();
            Files.write(file, in.readAllBytes());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code python3 -u script args...} (unbuffered, so lines arrive as printed); stdin is closed. */
    public static Process start(Path script, String... args) {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), "-u", script.toString()));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).start();
            p.getOutputStream().close();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Starts a script whose output lines are read as they come ({@link PythonProcess#lines()}). */
    public static PythonProcess startStreaming(Path script, String... args) {
        return new PythonProcess(start(script, args));
    }

    /**
     * Waits for {@code process} to end within {@code timeout} and returns its standard output; an
     * {@link AssertionError} with its standard error if it failed or timed out ({@code label} names it).
     */
    public static String finish(Process process, String label, Duration timeout) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread errReader = drain(process.getErrorStream(), err, "python-stderr");
        Thread outReader = drain(process.getInputStream(), out, "python-stdout");
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(label + " timed out after " + timeout.toSeconds() + " s; stderr:\n"
                        + err.toString(StandardCharsets.UTF_8));
            }
            outReader.join(5000);
            errReader.join(5000);
            String stdout = out.toString(StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError(label + " failed (exit " + process.exitValue() + "):\n"
                        + err.toString(StandardCharsets.UTF_8) + stdout);
            }
            return stdout;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError(label + " interrupted", e);
        }
    }

    /** Copies {@code in} into {@code sink} on a daemon thread, so that neither pipe fills while we wait. */
    private static Thread drain(InputStream in, ByteArrayOutputStream sink, String name) {
        Thread t = new Thread(() -> {
            try {
                in.transferTo(sink);
            } catch (IOException ignored) {
                // The process is gone.
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Runs {@code script args...} to its end within {@code timeout}; see {@link #finish}. */
    public static String run(Path script, Duration timeout, String... args) {
        return finish(start(script, args), script.getFileName() + " " + String.join(" ", args), timeout);
    }

    /** Runs the Python source {@code code} with {@code args} to its end within {@code timeout}; see {@link #finish}. */
    public static String runCode(String code, Duration timeout, String... args) {
        try {
            Path file = Files.createTempFile("kombu4j-", ".py");
            try {
                Files.writeString(file, code, StandardCharsets.UTF_8);
                return finish(start(file, args), "python script", timeout);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
