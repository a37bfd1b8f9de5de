package org.kombu4j.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.celery.AsyncResult;
import org.kombu4j.celery.CeleryClient;
import org.kombu4j.celery.CeleryWorker;
import org.kombu4j.celery.RedisResultBackend;
import org.kombu4j.celery.ResultBackend;
import org.kombu4j.celery.ResultBackends;
import org.kombu4j.celery.ResultTimeoutException;
import org.kombu4j.celery.TaskFailedException;
import org.kombu4j.celery.TaskOptions;
import org.kombu4j.celery.TaskRegistry;
import org.kombu4j.celery.TaskResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code kombu4j celery}: call Celery tasks (Python or Java workers) and run a Java Celery worker. */
@Command(name = "celery", mixinStandardHelpOptions = true,
        description = {"Celery's task protocol 2: call tasks by name and run Java tasks for any Celery caller."},
        subcommands = {CeleryCommand.Call.class, CeleryCommand.Worker.class})
final class CeleryCommand implements Callable<Integer> {
    /** The backend when --backend is not given: results as messages, which needs nothing but the broker. */
    static final String DEFAULT_BACKEND = "rpc://";

    @ParentCommand KombuCommand top;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing a command: call or worker");
    }

    /** {@code kombu4j celery call TASK ...}. */
    @Command(name = "call", mixinStandardHelpOptions = true,
            description = {"Send a task; print its id, or with --wait one JSON line {\"id\", \"status\", \"result\"}.",
                    "A task that failed: exit 1 and one line on stderr naming the exception type and message.",
                    "No result within --wait seconds: exit 1."})
    static final class Call implements Callable<Integer> {
        @ParentCommand CeleryCommand parent;

        @Parameters(index = "0", paramLabel = "TASK", description = "The task name, e.g. examples.add.")
        String task = "";

        @Option(names = "--args", paramLabel = "JSON-ARRAY", description = "Positional arguments (default: []).")
        @Nullable String args;

        @Option(names = "--kwargs", paramLabel = "JSON-OBJECT", description = "Keyword arguments (default: {}).")
        @Nullable String kwargs;

        @Option(names = "--queue", paramLabel = "Q", description = "The queue (default: celery).")
        @Nullable String queue;

        @Option(names = "--countdown", paramLabel = "S", description = "Run no earlier than S seconds from now.")
        @Nullable String countdown;

        @Option(names = "--eta", paramLabel = "ISO", description = "Run no earlier than this time (with an offset).")
        @Nullable String eta;

        @Option(names = "--expires", paramLabel = "S", description = "Revoke the task if not started within S seconds.")
        @Nullable String expires;

        @Option(names = "--priority", paramLabel = "N", description = "Message priority (as the broker means it).")
        @Nullable Integer priority;

        @Option(names = "--backend", paramLabel = "URL",
                description = "Result backend: redis://host:port/db or rpc:// (default: rpc://).")
        @Nullable String backend;

        @Option(names = "--wait", paramLabel = "SECONDS", description = "Wait up to SECONDS for the result.")
        @Nullable String wait;

        @Override
        public Integer call() {
            KombuCommand top = parent.top;
            if (task.isBlank()) {
                throw new UsageException("a task needs a name");
            }
            List<Object> positional = parseArgs();
            Map<String, Object> keywords = parseKwargs();
            TaskOptions options = options();
            Duration waitFor = wait == null ? null : PublishCommand.parseCountdown("--wait", wait);
            String url = top.resolveUrl();
            // Without --wait nobody reads the result: no reply queue or subscription is made for it.
            String backendUrl = backend != null ? backend : waitFor != null ? DEFAULT_BACKEND : null;
            try (Connection conn = Connection.open(url);
                    ResultBackend results = ResultBackends.open(backendUrl, url);
                    CeleryClient client = new CeleryClient(conn, waitFor == null ? null : results)) {
                AsyncResult r = client.send(task, positional, keywords, options);
                if (waitFor == null) {
                    top.out.println(r.id());
                    return 0;
                }
                TaskResult state;
                try {
                    state = r.state(waitFor);
                } catch (ResultTimeoutException e) {
                    throw new CommandFailure("no result for task " + r.id() + " within " + wait + " s"
                            + unreachable(results));
                }
                if (!TaskResult.SUCCESS.equals(state.status())) {
                    TaskFailedException f = (TaskFailedException) catchFailure(state);
                    throw new CommandFailure("task " + r.id() + " " + state.status() + ": " + f.excType() + ": "
                            + f.excMessage());
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("id", r.id());
                line.put("status", state.status());
                line.put("result", state.result());
                top.out.println(Json.write(line));
                return 0;
            }
        }

        /**
         * Why no result came, when it is the Redis backend that cannot be reached: the waiting side retries its
         * subscription quietly, so without this a backend that is down reads like a worker that never answered.
         */
        private static String unreachable(@Nullable ResultBackend results) {
            if (results instanceof RedisResultBackend redis) {
                try {
                    redis.get("kombu4j-cli-probe");
                } catch (OperationalException e) {
                    return ": the result backend " + redis.url() + " cannot be reached ("
                            + Main.oneLine(String.valueOf(e.getMessage())) + ")";
                }
            }
            return "";
        }

        private static RuntimeException catchFailure(TaskResult state) {
            try {
                state.value();
                throw new IllegalStateException("not a failure: " + state.status());
            } catch (TaskFailedException e) {
                return e;
            }
        }

        private List<Object> parseArgs() {
            if (args == null) {
                return List.of();
            }
            if (!(Json.parse(args, "--args") instanceof List<?> list)) {
                throw new UsageException("--args must be a JSON array, e.g. '[2, 3]'");
            }
            return new ArrayList<>(list);
        }

        private Map<String, Object> parseKwargs() {
            if (kwargs == null) {
                return Map.of();
            }
            if (!(Json.parse(kwargs, "--kwargs") instanceof Map<?, ?> map)) {
                throw new UsageException("--kwargs must be a JSON object, e.g. '{\"x\": 1}'");
            }
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), v));
            return out;
        }

        private TaskOptions options() {
            TaskOptions.Builder b = TaskOptions.builder();
            if (queue != null) {
                if (queue.isEmpty()) {
                    throw new UsageException("a queue needs a name");
                }
                b.queue(queue);
            }
            if (countdown != null && eta != null) {
                throw new UsageException("--countdown and --eta are mutually exclusive");
            }
            if (countdown != null) {
                b.countdown(PublishCommand.parseCountdown("--countdown", countdown));
            }
            if (eta != null) {
                b.eta(PublishCommand.parseEta("--eta", eta));
            }
            if (expires != null) {
                b.expires(Instant.now().plus(PublishCommand.parseCountdown("--expires", expires)));
            }
            if (priority != null) {
                if (priority < 0 || priority > 255) {
                    throw new UsageException("--priority must be within 0..255, got " + priority);
                }
                b.priority(priority);
            }
            return b.build();
        }
    }

    /** {@code kombu4j celery worker --tasks CLASS[,CLASS...] ...}. */
    @Command(name = "worker", mixinStandardHelpOptions = true,
            description = {"Run the @CeleryTask methods of the classes named for any Celery caller, results in "
                    + "Celery's format.", "SIGTERM or SIGINT: stop taking tasks, return those not started, finish "
                    + "the running ones, exit 0."})
    static final class Worker implements Callable<Integer> {
        @ParentCommand CeleryCommand parent;

        @Option(names = "--tasks", required = true, split = ",", paramLabel = "CLASS",
                description = "Classes with @CeleryTask methods, e.g. org.kombu4j.examples.celery.ExampleTasks.")
        List<String> tasks = new ArrayList<>();

        @Option(names = "--queues", split = ",", paramLabel = "Q", description = "Queues to consume (default: celery).")
        List<String> queues = new ArrayList<>();

        @Option(names = "--concurrency", paramLabel = "N", description = "Tasks run at once (default: processors).")
        @Nullable Integer concurrency;

        @Option(names = "--prefetch", paramLabel = "N",
                description = "Messages taken unacknowledged at once (default: 4 x concurrency).")
        @Nullable Integer prefetch;

        @Option(names = "--backend", paramLabel = "URL",
                description = "Result backend: redis://host:port/db or rpc:// (default: rpc://).")
        @Nullable String backend;

        @Override
        public Integer call() throws InterruptedException {
            KombuCommand top = parent.top;
            TaskRegistry registry = new TaskRegistry();
            for (String name : tasks) {
                Class<?> type;
                try {
                    type = Class.forName(name.strip(), true, Thread.currentThread().getContextClassLoader());
                } catch (ClassNotFoundException | LinkageError e) {
                    throw new UsageException("--tasks: no class " + name.strip() + " on the class path");
                }
                registry.register(type);
            }
            if (concurrency != null && concurrency < 1) {
                throw new UsageException("--concurrency must be at least 1, got " + concurrency);
            }
            if (prefetch != null && prefetch < 1) {
                throw new UsageException("--prefetch must be at least 1, got " + prefetch);
            }
            if (queues.stream().anyMatch(String::isBlank)) {
                throw new UsageException("a queue needs a name");
            }
            String url = top.resolveUrl();
            try (Connection conn = Connection.open(url);
                    ResultBackend results = ResultBackends.open(backend != null ? backend : DEFAULT_BACKEND, url)) {
                CeleryWorker.Builder b = CeleryWorker.builder(conn, registry).backend(results);
                if (!queues.isEmpty()) {
                    b.queues(queues.stream().map(String::strip).toList());
                }
                if (concurrency != null) {
                    b.concurrency(concurrency);
                }
                if (prefetch != null) {
                    b.prefetch(prefetch);
                }
                CeleryWorker worker = b.build();
                CountDownLatch signalled = new CountDownLatch(1);
                Signals.onTermination(signalled::countDown);
                worker.start();
                top.err.println("kombu4j: celery worker " + worker.hostname() + " ready. queues: "
                        + (queues.isEmpty() ? TaskOptions.DEFAULT_QUEUE : String.join(",", queues)) + "; tasks: "
                        + String.join(", ", registry.names()) + "; backend: " + (results == null ? "none" : results.url()));
                top.err.flush();
                Thread waiter = new Thread(() -> {
                    try {
                        signalled.await();
                        worker.close();
                    } catch (InterruptedException ignored) {
                        // The worker ended on its own.
                    }
                }, "kombu4j-celery-signals");
                waiter.setDaemon(true);
                waiter.start();
                try {
                    worker.awaitStop();
                } finally {
                    waiter.interrupt();
                    worker.close();
                }
                top.err.println("kombu4j: celery worker stopped after " + worker.processed() + " messages");
                return 0;
            }
        }
    }
}
