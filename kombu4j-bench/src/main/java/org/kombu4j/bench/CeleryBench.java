package org.kombu4j.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.Connection;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.celery.CeleryClient;
import org.kombu4j.celery.CeleryWorker;
import org.kombu4j.celery.ResultBackend;
import org.kombu4j.celery.ResultBackends;
import org.kombu4j.celery.TaskOptions;
import org.kombu4j.celery.TaskRegistry;

/**
 * The Celery scenarios ({@link Scenario#isCelery()}) on kombu4j's side, and what {@link PythonCeleryPeer} shares
 * with them: the tasks both workers run ({@code bench.noop}, {@code bench.mark}), the pre-filled queue, the marks
 * file, the result backend and the clean-up.
 *
 * <p>A worker is timed by its own marks: the queue holds {@code bench.mark(file, "start")}, N {@code bench.noop}
 * and {@code bench.mark(file, "end")}, sent by kombu4j's client before the worker starts; the worker appends the
 * wall-clock time of each mark to the file, so the figure is the worker's from its first task to its last, without
 * its start-up (seconds for Python Celery). With more than one task at a time the end mark may run beside the last
 * no-ops: an error of one task's duration.
 */
final class CeleryBench {
    /** The result backend's Redis database when the broker is Redis: its keys are not {@code bench.*}. */
    static final int BACKEND_DB = 12;
    /** Overrides the result backend URL of {@code celery-latency}. */
    static final String BACKEND_ENV = "KOMBU4J_BENCH_CELERY_BACKEND";
    /** Results written during a run expire after this long even if nobody deletes them. */
    static final int RESULT_EXPIRES_S = 300;
    /** Calls before {@code celery-latency} is timed (each system, each round). */
    static final int LATENCY_WARMUP_CALLS = 50;
    static final String NOOP = "bench.noop";
    static final String MARK = "bench.mark";

    private final Settings settings;
    private final PrintStream err;

    CeleryBench(Settings settings, PrintStream err) {
        this.settings = settings;
        this.err = err;
    }

    /** The queue of one run: under the run's {@code bench.k4j.*} prefix. */
    static String queueName(String prefix) {
        return prefix + ".celery";
    }

    /** The broker URL as Python Celery takes it: kombu4j's own query options dropped. */
    static String pythonBrokerUrl(String url) {
        String u = url.split(";")[0];
        int q = u.indexOf('?');
        return q < 0 ? u : u.substring(0, q);
    }

    /**
     * The result backend for {@code celery-latency}: {@value #BACKEND_ENV} if set; on a Redis broker the same
     * server's database {@value #BACKEND_DB}, else {@code rpc://}.
     */
    static String backendUrl(String brokerUrl) {
        String env = System.getenv(BACKEND_ENV);
        if (env != null && !env.isBlank()) {
            return env;
        }
        BrokerUrl u = BrokerUrl.parse(brokerUrl.split(";")[0]);
        if (!u.scheme().equals("redis")) {
            return "rpc://";
        }
        String auth = u.password() == null ? "" : ":" + u.password() + "@";
        String host = u.host().isEmpty() ? "localhost" : u.host();
        return "redis://" + auth + host + ":" + u.port(6379) + "/" + BACKEND_DB;
    }

    static @Nullable ResultBackend openBackend(String brokerUrl) {
        String b = backendUrl(brokerUrl);
        return ResultBackends.open(b.startsWith("redis") ? b + (b.contains("?") ? "&" : "?") + "result_expires="
                + RESULT_EXPIRES_S : b, brokerUrl);
    }

    /** A registry of the two bench tasks; marks go to the file the call names. */
    static TaskRegistry registry() {
        return new TaskRegistry().register(NOOP, call -> null).register(MARK, call -> {
            Instant now = Instant.now();
            String line = call.args().get(1) + " " + now.getEpochSecond() + "." + String.format("%09d", now.getNano()) + "\n";
            Files.writeString(Path.of(String.valueOf(call.args().get(0))), line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return null;
        });
    }

    static Path markFile() {
        try {
            Path p = Files.createTempFile("kombu4j-bench-celery", ".marks");
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The marks written so far: label → epoch seconds. */
    static Map<String, Double> marks(Path file) {
        Map<String, Double> m = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] p = line.trim().split(" ");
                if (p.length == 2) {
                    m.put(p[0], Double.parseDouble(p[1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Read again on the next poll: a line may be half written.
        }
        return m;
    }

    /** Sends start mark, {@code n} no-ops, end mark to {@code queue}, untimed. */
    static void prefill(String url, String queue, int n, Path marks, Deadline deadline, Progress progress) {
        TaskOptions opts = TaskOptions.builder().queue(queue).build();
        try (Connection conn = Connection.open(url); CeleryClient client = new CeleryClient(conn, null)) {
            client.send(MARK, List.of(marks.toString(), "start"), Map.of(), opts);
            for (int i = 0; i < n; i++) {
                client.send(NOOP, List.of(), Map.of(), opts);
                if ((i & 4095) == 4095) {
                    deadline.check("pre-filling tasks");
                    progress.update("queued", i + 1, n);
                }
            }
            client.send(MARK, List.of(marks.toString(), "end"), Map.of(), opts);
        }
    }

    /** What a worker's marks say: messages, seconds and CPU into {@code m}; waits for the end mark. */
    interface CpuProbe {
        long nanos();
    }

    /**
     * Waits until the end mark is written, sampling {@code cpu} when the start mark appears and when the end one
     * does; puts the throughput into {@code m}.
     */
    static void awaitMarks(Path marks, int n, CpuProbe cpu, Measurement m, Deadline deadline, Progress progress,
            java.util.function.BooleanSupplier alive) {
        long cpu0 = -1;
        while (true) {
            Map<String, Double> seen = marks(marks);
            if (cpu0 < 0 && seen.containsKey("start")) {
                cpu0 = cpu.nanos();
            }
            if (seen.containsKey("end") && seen.containsKey("start")) {
                long cpu1 = cpu.nanos();
                double s = seen.get("end") - seen.get("start");
                m.throughput(n, (long) (s * 1e9), cpu0 < 0 ? 0 : cpu1 - cpu0);
                return;
            }
            if (deadline.passed()) {
                m.error("the worker did not reach the end mark before the deadline (marks: " + seen.keySet() + ")");
                return;
            }
            if (!alive.getAsBoolean()) {
                m.error("the worker ended before the end mark (marks: " + seen.keySet() + ")");
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    /** Deletes the run's Celery queue and the direct exchange of its name (Celery declares both). */
    static void deleteQueue(String url, String queue, PrintStream err) {
        try (Connection conn = Connection.open(url); TransportChannel ch = conn.channel()) {
            try {
                ch.deleteQueue(queue);
            } catch (RuntimeException e) {
                err.println("[bench] cleanup: cannot delete queue " + queue + ": " + e.getMessage());
            }
            try {
                ch.deleteExchange(queue);
            } catch (RuntimeException e) {
                err.println("[bench] cleanup: cannot delete exchange " + queue + ": " + e.getMessage());
            }
        } catch (RuntimeException e) {
            err.println("[bench] cleanup of " + queue + " failed: " + e.getMessage());
        }
    }

    /** A started Java worker over {@code queue} (own connection, closed with it). */
    static final class JavaWorker implements AutoCloseable {
        final Connection conn;
        final CeleryWorker worker;
        final @Nullable ResultBackend backend;

        /** @param backend closed with the worker */
        JavaWorker(String url, String queue, int concurrency, @Nullable ResultBackend backend) {
            this(url, queue, concurrency, 0, backend);
        }

        /**
         * @param prefetch unacknowledged tasks at most; 0 = the worker's default (4 x concurrency)
         * @param backend closed with the worker
         */
        JavaWorker(String url, String queue, int concurrency, int prefetch, @Nullable ResultBackend backend) {
            this.backend = backend;
            conn = Connection.open(url);
            try {
                CeleryWorker.Builder b = CeleryWorker.builder(conn, registry()).backend(backend).queues(List.of(queue))
                        .concurrency(concurrency).shutdownTimeout(Duration.ofSeconds(10)).hostname("kombu4j-bench@localhost");
                if (prefetch > 0) {
                    b.prefetch(prefetch);
                }
                worker = b.build().start();
            } catch (RuntimeException e) {
                conn.close();
                if (backend != null) {
                    backend.close();
                }
                throw e;
            }
        }

        @Override
        public void close() {
            try {
                worker.close();
            } finally {
                conn.close();
                if (backend != null) {
                    backend.close();
                }
            }
        }
    }

    // ---- kombu4j's side ----

    void run(Scenario scenario, Measurement m, BenchEntities entities, Deadline deadline, Progress progress) {
        String queue = queueName(entities.prefix());
        m.put("celery_queue", queue);
        try {
            switch (scenario) {
                case CELERY_WORKER -> worker(m, queue, deadline, progress);
                case CELERY_SEND -> send(m, queue, deadline, progress);
                case CELERY_SEND_ASYNC -> sendAsync(m, queue, deadline, progress);
                case CELERY_LATENCY -> latency(m, queue, deadline, progress);
                default -> throw new IllegalStateException("not a Celery scenario: " + scenario);
            }
        } finally {
            deleteQueue(settings.url(), queue, err);
        }
    }

    private void worker(Measurement m, String queue, Deadline deadline, Progress progress) {
        int n = settings.messages();
        Path marks = markFile();
        try {
            prefill(settings.url(), queue, n, marks, deadline, progress);
            TimedSection.settle();
            int prefetch = settings.prefetch();
            try (JavaWorker w = new JavaWorker(settings.url(), queue, settings.concurrency(), prefetch, null)) {
                m.put("concurrency", settings.concurrency()).put("connections", 1).put("result_backend", "none")
                        .put("prefetch", prefetch > 0 ? prefetch : 4 * settings.concurrency());
                awaitMarks(marks, n, ProcessCpu::nanos, m, deadline, progress, () -> true);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (w.worker.processed() < n + 2 && System.nanoTime() < until) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
                int missing = n + 2 - w.worker.processed();
                m.put("missing", Math.max(0, missing)).put("duplicates", Math.max(0, -missing));
                if (missing != 0) {
                    m.error("the worker settled " + w.worker.processed() + " task messages, expected " + (n + 2));
                }
            }
        } finally {
            deleteQuietly(marks);
        }
    }

    private void send(Measurement m, String queue, Deadline deadline, Progress progress) {
        TaskOptions opts = TaskOptions.builder().queue(queue).build();
        timedSends(m, deadline, progress, client -> client.send(NOOP, List.of(), Map.of(), opts),
                (client, i) -> client.send(NOOP, List.of(), Map.of(), opts), () -> { });
    }

    /**
     * N {@code sendAsync} from one thread; the clock stops when every future has completed. The per-call
     * latencies are how long each call took to return (not to complete).
     */
    private void sendAsync(Measurement m, String queue, Deadline deadline, Progress progress) {
        int n = settings.messages();
        TaskOptions opts = TaskOptions.builder().queue(queue).build();
        CompletableFuture<?>[] futures = new CompletableFuture<?>[n];
        timedSends(m, deadline, progress, client -> client.sendAsync(NOOP, List.of(), Map.of(), opts).join(),
                (client, i) -> futures[i] = client.sendAsync(NOOP, List.of(), Map.of(), opts),
                () -> awaitAll(futures, deadline));
        long failed = java.util.Arrays.stream(futures).filter(CompletableFuture::isCompletedExceptionally).count();
        if (failed > 0) {
            m.error(failed + " of " + n + " sends failed");
        }
    }

    /**
     * The frame of the send scenarios, so that both measure the same: a client without a result backend on a
     * connection of its own, an untimed {@code first} call (connects and declares the queue, as Python's), then
     * {@code --messages} timed {@code call}s from this thread, each one's time to return into the per-call
     * latencies, and {@code finish} before the clock stops.
     */
    private void timedSends(Measurement m, Deadline deadline, Progress progress, Consumer<CeleryClient> first,
            ObjIntConsumer<CeleryClient> call, Runnable finish) {
        int n = settings.messages();
        Histogram calls = new Histogram(3);
        try (Connection conn = Connection.open(settings.url()); CeleryClient client = new CeleryClient(conn, null)) {
            m.put("connections", 1).put("result_backend", "none");
            first.accept(client);
            TimedSection.settle();
            long cpu0 = ProcessCpu.nanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long s = System.nanoTime();
                call.accept(client, i);
                calls.recordValue(Math.max(0, System.nanoTime() - s));
                if ((i & 4095) == 4095) {
                    deadline.check("sending tasks");
                    progress.update("sent", i + 1, n);
                }
            }
            finish.run();
            m.throughput(n, System.nanoTime() - t0, ProcessCpu.nanos() - cpu0);
            m.latencies(calls, 1e6);
        }
    }

    /** Waits until every future has completed (failures are counted by the caller), within the deadline. */
    private static void awaitAll(CompletableFuture<?>[] futures, Deadline deadline) {
        try {
            CompletableFuture.allOf(futures).get(deadline.remaining().toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // Counted by the caller.
        } catch (java.util.concurrent.TimeoutException e) {
            throw new Deadline.Exceeded("waiting for the sends to complete", deadline.budget());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void latency(Measurement m, String queue, Deadline deadline, Progress progress) {
        m.put("latency_of", "java-client->java-worker").put("result_backend", BrokerUrl.maskRaw(backendUrl(settings.url())));
        try (ResultBackend backend = openBackend(settings.url());
                JavaWorker w = new JavaWorker(settings.url(), queue, settings.concurrency(), openBackend(settings.url()))) {
            m.put("concurrency", settings.concurrency());
            javaCalls(settings.url(), backend, queue, settings.messages(), m, deadline, progress);
        }
    }

    /** {@code warm-up} then {@code n} sequential calls from kombu4j's client, each waited for; the latencies into m. */
    static void javaCalls(String url, @Nullable ResultBackend backend, String queue, int n, Measurement m,
            Deadline deadline, Progress progress) {
        TaskOptions opts = TaskOptions.builder().queue(queue).build();
        Histogram h = new Histogram(3);
        try (Connection conn = Connection.open(url)) {
            CeleryClient client = new CeleryClient(conn, backend); // not closed: that would close the caller's backend
            for (int i = 0; i < LATENCY_WARMUP_CALLS; i++) {
                client.send(NOOP, List.of(), Map.of(), opts).get(i == 0 ? Duration.ofSeconds(60) : Duration.ofSeconds(10));
            }
            long cpu0 = ProcessCpu.nanos();
            long total = 0;
            for (int i = 0; i < n; i++) {
                long s = System.nanoTime();
                client.send(NOOP, List.of(), Map.of(), opts).get(Duration.ofSeconds(10));
                long d = System.nanoTime() - s;
                total += d;
                h.recordValue(Math.max(0, d / 1000));
                if ((i & 255) == 255) {
                    deadline.check("calling tasks");
                    progress.update("called", i + 1, n);
                }
            }
            m.throughput(n, total, ProcessCpu.nanos() - cpu0);
            m.latencies(h, 1000);
        }
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A temporary file; deleted on exit anyway.
        }
    }

    /** The Python peer's module, copied out of the jar into a directory of its own. */
    static Path pythonModuleDir() {
        try (InputStream in = CeleryBench.class.getResourceAsStream("celery/celery_bench.py")) {
            if (in == null) {
                throw new IllegalStateException("celery_bench.py is missing from the classpath");
            }
            Path dir = Files.createTempDirectory("kombu4j-bench-celery");
            dir.toFile().deleteOnExit();
            Path f = dir.resolve("celery_bench.py");
            Files.copy(in, f);
            f.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
