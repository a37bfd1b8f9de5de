package org.kombu4j.testkit.env;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The services and tools a test needs. When one is missing the test is skipped, except with
 * {@code CI=true}, where it fails: a green CI run must have run every test.
 */
public final class TestEnvironment {
    private TestEnvironment() {
    }

    /** True when the environment variable {@code CI} is {@code true} (any case). */
    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Ends the calling test because {@code why}: a failure with {@code CI=true}, a skip otherwise. Never returns. */
    public static RuntimeException unavailable(String why) {
        if (isCi()) {
            Assertions.fail(why + " (CI=true: this test must not be skipped)");
        }
        Assumptions.abort(why);
        throw new IllegalStateException("unreachable");
    }

    /** True when something accepts TCP connections at {@code host:port} within {@code timeoutMillis}. */
    public static boolean listening(String host, int port, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Skips or fails the test (see {@link #unavailable}) unless {@code what} listens at {@code host:port}. */
    public static void requireListening(String what, String host, int port) {
        if (!listening(host, port, 1000)) {
            throw unavailable(what + " is not reachable at " + host + ":" + port);
        }
    }

    /** The executable {@code name} in /usr/bin, /usr/sbin or on PATH, if there is one. */
    public static Optional<Path> executable(String name) {
        StringBuilder dirs = new StringBuilder("/usr/bin" + File.pathSeparator + "/usr/sbin");
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.append(File.pathSeparator).append(path);
        }
        for (String dir : dirs.toString().split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** The executable {@code name}; skips or fails the test (see {@link #unavailable}) if it is not installed. */
    public static Path requireExecutable(String name) {
        return executable(name).orElseThrow(() -> unavailable(name + " is not installed"));
    }
}
