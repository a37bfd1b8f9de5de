package org.kombu4j.testkit.python;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A running Python script whose standard output is read line by line as it is printed, for peers that
 * report progress ("READY", one JSON object per message) while the test goes on. Closing kills it.
 */
public final class PythonProcess implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder stderr = new StringBuilder();

    PythonProcess(Process process) {
        this.process = process;
        pump(process.getInputStream(), lines::add, "python-stdout");
        pump(process.getErrorStream(), line -> {
            synchronized (stderr) {
                stderr.append(line).append('\n');
            }
        }, "python-stderr");
    }

    private static void pump(InputStream in, Consumer<String> sink, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    sink.accept(line);
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    /** The process itself. */
    public Process process() {
        return process;
    }

    /** The next line printed, waiting up to {@code timeout}; null if none came. */
    public String nextLine(Duration timeout) throws InterruptedException {
        return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** What the script wrote to standard error so far. */
    public String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    /** Waits for the script to end within {@code timeout}; an {@link AssertionError} with its stderr if it failed. */
    public void awaitSuccess(Duration timeout, String label) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(label + " timed out after " + timeout.toSeconds() + " s; stderr:\n" + stderr());
        }
        if (process.exitValue() != 0) {
            Thread.sleep(100); // let the stderr pump catch up
            throw new AssertionError(label + " failed (exit " + process.exitValue() + "): " + stderr());
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
