package org.kombu4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.celery.ResultBackend;

/**
 * Python Celery (Debian's {@code python3-celery} 5.2 through {@code /usr/bin/python3}, or
 * {@code KOMBU4J_BENCH_PYTHON}) beside kombu4j's Celery scenarios, with the module {@code celery_bench.py} this jar
 * carries:
 * <ul>
 *   <li>{@code celery-worker}: a prefork worker, concurrency 2 (Celery's {@code -c 2 -P prefork}, log level warning,
 *       no gossip, mingle, heartbeat or remote control), over the same pre-filled queue kombu4j's worker gets;</li>
 *   <li>{@code celery-send}: {@code apply_async} N times from one process;</li>
 *   <li>{@code celery-latency}: three lines — kombu4j's client calling the Python worker
 *       ({@code java-client->py-worker}), Python calling kombu4j's worker ({@code py-client->java-worker}), and
 *       Python calling Python ({@code py-client->py-worker}).</li>
 * </ul>
 * Only redis:// and amqp:// URLs. Each run uses its own {@code bench.k4j.*.celery} queue and deletes it.
 */
final class PythonCeleryPeer implements Peer {
    static final String NAME = "celery-py";
    /** Celery's prefork pool size the issue compares against. */
    static final int PYTHON_CONCURRENCY = 2;

    private final String python;
    private @Nullable Path moduleDir;

    PythonCeleryPeer() {
        String env = System.getenv(PythonKombuPeer.PYTHON_ENV);
        this.python = env != null && !env.isBlank() ? env : "/usr/bin/python3";
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean supports(Scenario scenario, String url) {
        return scenario.isCelery() && isCeleryBroker(url);
    }

    static boolean isCeleryBroker(String url) {
        try {
            String scheme = BrokerUrl.parse(url.split(";")[0]).scheme();
            return scheme.equals("redis") || scheme.equals("amqp") || scheme.equals("pyamqp");
        } catch (RuntimeException e) {
            return false;
        }
    }

    private synchronized Path moduleDir() {
        if (moduleDir == null) {
            moduleDir = CeleryBench.pythonModuleDir();
        }
        return moduleDir;
    }

    @Override
    public List<Measurement> run(Scenario scenario, Settings s, int round, Deadline deadline, PrintStream err) {
        String queue = CeleryBench.queueName("bench.k4j." + UUID.randomUUID().toString().substring(0, 8));
        List<Measurement> out = new ArrayList<>();
        try {
            switch (scenario) {
                case CELERY_WORKER -> out.add(worker(s, round, queue, deadline, err));
                case CELERY_SEND, CELERY_SEND_ASYNC -> out.add(send(scenario, s, round, queue, deadline, err));
                case CELERY_LATENCY -> {
                    out.add(javaToPython(s, round, queue, deadline, err));
                    out.add(pythonCalls(s, round, queue, deadline, err, true));
                    out.add(pythonCalls(s, round, queue, deadline, err, false));
                }
                default -> throw new IllegalStateException("not a Celery scenario: " + scenario);
            }
        } catch (RuntimeException e) {
            out.add(line(NAME, scenario, s, round).error(Measurement.describe(e)));
        } finally {
            CeleryBench.deleteQueue(s.url(), queue, err);
        }
        return out;
    }

    private static Measurement line(String system, Scenario scenario, Settings s, int round) {
        String scheme = BrokerUrl.parse(s.url().split(";")[0]).scheme();
        return new Measurement(system, scheme.equals("redis") ? "redis" : "rabbitmq", scenario.cliName())
                .put("round", round);
    }

    private ProcessBuilder python(Settings s, @Nullable String backend, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(python);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(moduleDir().toFile());
        pb.environment().put("BENCH_BROKER", CeleryBench.pythonBrokerUrl(s.url()));
        pb.environment().put("BENCH_BACKEND", backend == null ? "" : backend);
        pb.environment().put("BENCH_RESULT_EXPIRES", Integer.toString(CeleryBench.RESULT_EXPIRES_S));
        String pp = System.getenv("PYTHONPATH");
        pb.environment().put("PYTHONPATH", moduleDir() + (pp == null || pp.isBlank() ? "" : ":" + pp));
        return pb;
    }

    /** A running {@code celery worker}; stopped with TERM (Celery's warm shutdown), then KILL. */
    private final class PythonWorker implements AutoCloseable {
        final Process process;

        PythonWorker(Settings s, String queue, @Nullable String backend, PrintStream err) throws IOException {
            ProcessBuilder pb = python(s, backend, List.of("-m", "celery", "-A", "celery_bench", "worker", "-Q", queue,
                    "-c", Integer.toString(PYTHON_CONCURRENCY), "-P", "prefork", "--without-gossip", "--without-mingle",
                    "--without-heartbeat", "-l", "warning", "-n", queue + "@%h"));
            pb.redirectErrorStream(true);
            process = pb.start();
            process.getOutputStream().close();
            Thread pump = new Thread(() -> {
                try (var r = process.inputReader()) {
                    for (String l; (l = r.readLine()) != null;) {
                        err.println("[celery-py worker] " + l);
                    }
                } catch (IOException ignored) {
                    // The worker ended.
                }
            }, "kombu4j-bench-celery-py");
            pump.setDaemon(true);
            pump.start();
        }

        /** CPU of the worker and its pool processes so far. */
        long cpuNanos() {
            long sum = process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
            for (ProcessHandle h : process.descendants().toList()) {
                sum += h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
            }
            return sum;
        }

        @Override
        public void close() {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    private Measurement worker(Settings s, int round, String queue, Deadline deadline, PrintStream err) {
        Measurement m = line(NAME, Scenario.CELERY_WORKER, s, round).put("concurrency", PYTHON_CONCURRENCY)
                .put("pool", "prefork").put("result_backend", "none").put("celery_queue", queue);
        int n = s.messages();
        Path marks = CeleryBench.markFile();
        Progress progress = new Progress(err, NAME + " celery-worker #" + round);
        try {
            CeleryBench.prefill(s.url(), queue, n, marks, deadline, progress);
            TimedSection.settle();
            try (PythonWorker w = new PythonWorker(s, queue, null, err)) {
                CeleryBench.awaitMarks(marks, n, w::cpuNanos, m, deadline, progress, w.process::isAlive);
            }
        } catch (IOException e) {
            m.error("cannot start " + python + ": " + e.getMessage());
        } finally {
            CeleryBench.deleteQuietly(marks);
        }
        return m;
    }

    /** {@code apply_async} N times; the same for both send scenarios (Celery has no other way to send). */
    private Measurement send(Scenario scenario, Settings s, int round, String queue, Deadline deadline, PrintStream err) {
        return script(NAME, scenario, s, round, null,
                List.of("celery_bench.py", "send", queue, Integer.toString(s.messages())), deadline, err);
    }

    private Measurement javaToPython(Settings s, int round, String queue, Deadline deadline, PrintStream err) {
        Measurement m = line(NAME + ":java-client->py-worker", Scenario.CELERY_LATENCY, s, round)
                .put("latency_of", "java-client->py-worker");
        String backend = CeleryBench.backendUrl(s.url());
        Progress progress = new Progress(err, NAME + " java->py #" + round);
        try (ResultBackend results = CeleryBench.openBackend(s.url());
                PythonWorker w = new PythonWorker(s, queue, backend, err)) {
            CeleryBench.javaCalls(s.url(), results, queue, s.messages(), m, deadline, progress);
        } catch (IOException | RuntimeException e) {
            m.error(Measurement.describe(e));
        }
        return m;
    }

    /** @param javaWorker kombu4j's worker answers; else a Python worker */
    private Measurement pythonCalls(Settings s, int round, String queue, Deadline deadline, PrintStream err,
            boolean javaWorker) {
        String of = javaWorker ? "py-client->java-worker" : "py-client->py-worker";
        String backend = CeleryBench.backendUrl(s.url());
        List<String> args = List.of("celery_bench.py", "call", queue, Integer.toString(s.messages()),
                Integer.toString(CeleryBench.LATENCY_WARMUP_CALLS));
        if (javaWorker) {
            try (CeleryBench.JavaWorker w = new CeleryBench.JavaWorker(s.url(), queue, s.concurrency(),
                    CeleryBench.openBackend(s.url()))) {
                return script(NAME + ":" + of, Scenario.CELERY_LATENCY, s, round, backend, args, deadline, err)
                        .put("latency_of", of);
            }
        }
        try (PythonWorker w = new PythonWorker(s, queue, backend, err)) {
            return script(NAME + ":" + of, Scenario.CELERY_LATENCY, s, round, backend, args, deadline, err)
                    .put("latency_of", of);
        } catch (IOException e) {
            return line(NAME + ":" + of, Scenario.CELERY_LATENCY, s, round).error("cannot start " + python + ": " + e.getMessage());
        }
    }

    /** Runs {@code celery_bench.py} once and turns its one JSON line into a measurement. */
    private Measurement script(String system, Scenario scenario, Settings s, int round, @Nullable String backend,
            List<String> args, Deadline deadline, PrintStream err) {
        Measurement m = line(system, scenario, s, round);
        try {
            PeerProcess.Outcome o = PeerProcess.run(python(s, backend, args), deadline, err, system);
            if (o.timedOut()) {
                return m.error("timed out");
            }
            if (o.exitCode() != 0 || o.lines().isEmpty()) {
                return m.error("celery_bench.py exited with " + o.exitCode() + " and " + o.lines().size() + " lines");
            }
            for (Map.Entry<String, Object> e : o.lines().get(0).entrySet()) {
                // The scenario is ours: one script line serves both send scenarios.
                if (!e.getKey().equals("system") && !e.getKey().equals("transport") && !e.getKey().equals("scenario")) {
                    m.put(e.getKey(), e.getValue());
                }
            }
        } catch (IOException e) {
            m.error("cannot start " + python + ": " + e.getMessage());
        }
        return m;
    }
}
