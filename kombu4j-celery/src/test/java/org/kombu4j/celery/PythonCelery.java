package org.kombu4j.celery;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.kombu4j.testkit.python.PythonKombu;

/** Real Python Celery 5.2 for the interop tests: a worker over the tasks of {@code examples_py.py}, and calls. */
final class PythonCelery {
    private PythonCelery() {
    }

    static Path tasksDir() {
        Path module = PythonKombu.script(PythonCelery.class, "/celery/examples_py.py");
        try {
            Path dir = Files.createTempDirectory("kombu4j-celery-py");
            dir.toFile().deleteOnExit();
            Path target = dir.resolve("examples_py.py");
            Files.copy(module, target);
            target.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A running {@code celery worker}, stopped (TERM, then KILL) on close. */
    static final class Worker implements AutoCloseable {
        final Process process;
        final StringBuffer log = new StringBuffer();

        Worker(String broker, String backend, String queue, int concurrency) {
            PythonKombu.requireModules("celery");
            List<String> cmd = new ArrayList<>(List.of(PythonKombu.PYTHON.toString(), "-m", "celery", "-A",
                    "examples_py", "worker", "-Q", queue, "-c", Integer.toString(concurrency), "-P", "prefork",
                    "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
                    "-n", "py-" + queue + "@%h"));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(tasksDir().toFile()).redirectErrorStream(true);
            pb.environment().put("CELERY_BROKER", broker);
            pb.environment().put("CELERY_BACKEND", backend);
            pb.environment().put("PYTHONPATH", pb.directory().getPath()
                    + (System.getenv("PYTHONPATH") == null ? "" : ":" + System.getenv("PYTHONPATH")));
            CountDownLatch ready = new CountDownLatch(1);
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // Nothing to close.
            }
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null;) {
                        log.append(line).append('\n');
                        if (line.contains(" ready.")) {
                            ready.countDown();
                        }
                    }
                } catch (IOException ignored) {
                    // The worker ended.
                }
            }, "python-celery-worker");
            t.setDaemon(true);
            t.start();
            try {
                if (!ready.await(60, TimeUnit.SECONDS)) {
                    close();
                    throw new AssertionError("the Python Celery worker did not become ready:\n" + log);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            process.descendants().forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** Calls {@code task} from Python Celery and returns its one JSON line. */
    static String call(String broker, String backend, String queue, String task, String argsJson, String kwargsJson,
            String... extra) {
        List<String> args = new ArrayList<>(List.of(broker, backend, queue, task, argsJson, kwargsJson));
        args.addAll(List.of(extra));
        return PythonKombu.run(PythonKombu.script(PythonCelery.class, "/celery/call_py.py"), Duration.ofSeconds(60),
                args.toArray(String[]::new)).trim();
    }
}
