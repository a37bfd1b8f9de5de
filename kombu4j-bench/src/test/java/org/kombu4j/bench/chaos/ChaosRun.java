package org.kombu4j.bench.chaos;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.KombuException;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/**
 * One chaos run against one {@link ChaosTarget}: publisher threads (in this JVM) publish {@code messages} unique
 * ids, each retried on any failure until the library reports it accepted; consumer child processes
 * ({@link ChaosConsumer}) consume them; meanwhile, at random points of the publishing, a consumer is SIGKILLed
 * (and a new one started), the broker is SIGKILLed and restarted, or every connection is cut by the proxy. The
 * run ends when every accepted id was consumed and every fault was done, or at the time limit. Then it counts
 * what was lost (accepted, never consumed) and duplicated.
 */
final class ChaosRun {
    /** Sizes of a run. */
    record Plan(int messages, int consumers, int prefetch, int workMillis, int publishers, double rate, int kills,
            int restarts, int cuts, Duration minGap, Duration timeLimit) {
        /** What CI runs: about a minute per transport. */
        static Plan ci() {
            return new Plan(3_000, 3, 10, 60, 2, 100, 3, 1, 3, Duration.ofSeconds(2), Duration.ofSeconds(150));
        }

        /** The size RELIABILITY.md reports: 100,000 messages, 12 kills, 3 restarts, 12 cuts. */
        static Plan full() {
            return new Plan(100_000, 4, 10, 10, 4, 600, 12, 3, 12, Duration.ofSeconds(3), Duration.ofMinutes(20));
        }

        /**
         * This plan with the counts of {@code spec} ({@code messages,kills,restarts,cuts}, e.g. from
         * {@code -Dkombu4j.chaos.plan=2000,5,0,0}); null or blank keeps it.
         */
        Plan with(String spec) {
            if (spec == null || spec.isBlank()) {
                return this;
            }
            String[] f = spec.split(",");
            if (f.length != 4) {
                throw new IllegalArgumentException("a plan is messages,kills,restarts,cuts; got " + spec);
            }
            return new Plan(Integer.parseInt(f[0].trim()), consumers, prefetch, workMillis, publishers, rate,
                    Integer.parseInt(f[1].trim()), Integer.parseInt(f[2].trim()), Integer.parseInt(f[3].trim()), minGap,
                    timeLimit);
        }

        /** The plan for a target: without a server there is nothing to restart or cut. */
        Plan forTarget(ChaosTarget t) {
            return t.hasServer() ? this
                    : new Plan(messages, consumers, prefetch, workMillis, publishers, rate, kills, 0, 0, minGap, timeLimit);
        }
    }

    /** What a run measured; {@link #passed()} when nothing was lost and every accepted message arrived. */
    record Result(String transport, int messages, long accepted, long consumed, long lost, long duplicated,
            int kills, int restarts, int cuts, long longestRedeliveryMs, int leaseSeconds, double seconds,
            long publishRetries, long consumerReconnects, int consumerCrashes, boolean timedOut, String note) {
        boolean passed() {
            return lost == 0 && accepted == messages && !timedOut && consumerCrashes == 0;
        }

        String line() {
            return String.format(Locale.ROOT, "chaos %s: messages=%d accepted=%d consumed=%d lost=%d duplicated=%d "
                    + "kills=%d restarts=%d cuts=%d longest_redelivery_ms=%d lease_s=%s seconds=%.1f "
                    + "publish_retries=%d consumer_reconnects=%d consumer_crashes=%d result=%s%s",
                    transport, messages, accepted, consumed, lost, duplicated, kills, restarts, cuts,
                    longestRedeliveryMs, leaseSeconds == 0 ? "none(redelivered_on_connection_loss)" : leaseSeconds,
                    seconds, publishRetries, consumerReconnects, consumerCrashes, passed() ? "PASS" : "FAIL",
                    note.isEmpty() ? "" : " note=\"" + note + "\"");
        }
    }

    private enum Fault { KILL, RESTART, CUT }

    /**
     * How long the run waits, once everything was published and every fault done, for a message that does not
     * come: far beyond 2 × the lease (3 s) plus a consumer's reconnect back-off (at most 1 s).
     */
    static final Duration STALL = Duration.ofSeconds(45);

    private final ChaosTarget target;
    private final Plan plan;
    private final PrintStream log;
    private final Path logDir;
    private final Random random;
    private final String queueName;
    private final String exchangeName;
    private final int n;

    private final AtomicIntegerArray accepted;
    private final AtomicLong acceptedCount = new AtomicLong();
    private final AtomicLong publishRetries = new AtomicLong();
    private final AtomicLong consumerReconnects = new AtomicLong();
    private final List<String> notes = new CopyOnWriteArrayList<>();
    private final Set<Integer> killedChildren = ConcurrentHashMap.newKeySet();
    private final List<Child> children = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;
    private int consumerCrashes;
    private int nextChildId;

    // Receipts, under the lock of this.
    private final int[] receipts;
    private final long[] lastAt;
    private final int[] lastBy;
    private long unique;
    private long total;
    private long longestRedeliveryNanos;

    ChaosRun(ChaosTarget target, Plan plan, PrintStream log, Path logDir, long seed) {
        this.target = target;
        this.plan = plan.forTarget(target);
        this.log = log;
        this.logDir = logDir;
        this.random = new Random(seed);
        String suffix = Long.toHexString(seed & 0xffffffL);
        this.queueName = "chaos.q." + suffix;
        this.exchangeName = "chaos.ex." + suffix;
        this.n = this.plan.messages();
        this.accepted = new AtomicIntegerArray(n);
        this.receipts = new int[n];
        this.lastAt = new long[n];
        this.lastBy = new int[n];
    }

    /** The queue of a run, bound to its direct exchange with its own name (also what the children consume). */
    static Queue queue(String exchange, String queue) {
        return Queue.of(queue, Exchange.direct(exchange), queue);
    }

    Result run() throws IOException, InterruptedException {
        Files.createDirectories(logDir);
        Files.deleteIfExists(logDir.resolve(target.name() + "-consumers.log"));
        long t0 = System.nanoTime();
        long deadline = t0 + plan.timeLimit().toNanos();
        List<Fault> faults = schedule();
        double[] at = fractions(faults.size());
        log.printf(Locale.ROOT, "[chaos] %s: %d messages, %d consumers, %d publishers at <= %.0f/s, faults %s, url %s%n",
                target.name(), n, plan.consumers(), plan.publishers(), plan.rate(), faults,
                org.kombu4j.BrokerUrl.parse(target.url()).masked());
        List<Thread> publishers = new ArrayList<>();
        int kills = 0;
        int restarts = 0;
        int cuts = 0;
        boolean timedOut = false;
        try {
            for (int i = 0; i < plan.consumers(); i++) {
                spawn();
            }
            for (int p = 0; p < plan.publishers(); p++) {
                int first = p;
                Thread t = new Thread(() -> publish(first, deadline), "chaos-publisher-" + p);
                t.setDaemon(true);
                t.start();
                publishers.add(t);
            }
            int next = 0;
            long lastFault = System.nanoTime();
            long lastReport = System.nanoTime();
            long lastUnique = -1;
            long lastProgressAt = System.nanoTime();
            while (true) {
                boolean published = publishers.stream().noneMatch(Thread::isAlive);
                if (published && next >= faults.size() && consumedAllAccepted()) {
                    break;
                }
                long now = System.nanoTime();
                long u = uniqueCount();
                if (u != lastUnique) {
                    lastUnique = u;
                    lastProgressAt = now;
                } else if (published && next >= faults.size() && now - lastProgressAt > STALL.toNanos()) {
                    notes.add("nothing new consumed for " + STALL.toSeconds() + " s after the last fault");
                    break;
                }
                if (now - deadline > 0) {
                    timedOut = true;
                    notes.add("time limit of " + plan.timeLimit().toSeconds() + " s reached");
                    break;
                }
                double progress = acceptedCount.get() / (double) n;
                if (next < faults.size() && (progress >= at[next] || published)
                        && now - lastFault >= plan.minGap().toNanos()) {
                    Fault f = faults.get(next++);
                    log.printf(Locale.ROOT, "[chaos] %s: %s at %.0f%% published, %d consumed%n", target.name(),
                            f.name().toLowerCase(Locale.ROOT), progress * 100, uniqueCount());
                    switch (f) {
                        case KILL -> {
                            killOne();
                            kills++;
                        }
                        case RESTART -> {
                            target.restart();
                            restarts++;
                        }
                        case CUT -> {
                            target.cut();
                            cuts++;
                        }
                        default -> throw new IllegalStateException("unhandled " + f);
                    }
                    lastFault = System.nanoTime();
                }
                respawnCrashed();
                if (now - lastReport > TimeUnit.SECONDS.toNanos(10)) {
                    lastReport = now;
                    log.printf(Locale.ROOT, "[chaos] %s: %d accepted, %d consumed, %.0f s%n", target.name(),
                            acceptedCount.get(), uniqueCount(), (now - t0) / 1e9);
                }
                Thread.sleep(20);
            }
            // Late duplicates (a redelivery of something already seen) still count: give them a moment.
            Thread.sleep(1000);
        } finally {
            stopping = true;
            for (Child c : children) {
                c.process.toHandle().destroyForcibly();
            }
            for (Child c : children) {
                c.process.waitFor(10, TimeUnit.SECONDS);
                c.reader.join(5000);
            }
            for (Thread t : publishers) {
                t.join(15_000);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return result(kills, restarts, cuts, timedOut, seconds);
    }

    private synchronized Result result(int kills, int restarts, int cuts, boolean timedOut, double seconds) {
        long lost = 0;
        long acceptedN = 0;
        int firstLost = -1;
        for (int id = 0; id < n; id++) {
            if (accepted.get(id) == 1) {
                acceptedN++;
                if (receipts[id] == 0) {
                    lost++;
                    if (firstLost < 0) {
                        firstLost = id;
                    }
                }
            }
        }
        if (firstLost >= 0) {
            notes.add("first lost id " + firstLost);
            String d = target.diagnose();
            if (!d.isEmpty()) {
                notes.add(d);
            }
        }
        return new Result(target.name(), n, acceptedN, unique, lost, total - unique, kills, restarts, cuts,
                TimeUnit.NANOSECONDS.toMillis(longestRedeliveryNanos), target.leaseSeconds(), seconds,
                publishRetries.get(), consumerReconnects.get(), consumerCrashes, timedOut,
                String.join("; ", new java.util.LinkedHashSet<>(notes)));
    }

    /** The faults in a random order. */
    private List<Fault> schedule() {
        List<Fault> faults = new ArrayList<>();
        for (int i = 0; i < plan.kills(); i++) {
            faults.add(Fault.KILL);
        }
        for (int i = 0; i < plan.restarts(); i++) {
            faults.add(Fault.RESTART);
        }
        for (int i = 0; i < plan.cuts(); i++) {
            faults.add(Fault.CUT);
        }
        Collections.shuffle(faults, random);
        return faults;
    }

    /** When each fault is due, as a fraction of the messages published: spread over 5–90 %, jittered. */
    private double[] fractions(int count) {
        double[] at = new double[count];
        for (int i = 0; i < count; i++) {
            at[i] = 0.05 + 0.85 * (i + random.nextDouble()) / Math.max(1, count);
        }
        return at;
    }

    private synchronized long uniqueCount() {
        return unique;
    }

    private synchronized boolean consumedAllAccepted() {
        return unique >= acceptedCount.get();
    }

    // ---- publishers ----

    /** Publishes ids {@code first}, {@code first + P}, ...; each until the library reports success. */
    private void publish(int first, long deadline) {
        Queue queue = queue(exchangeName, queueName);
        PublishOptions opts = PublishOptions.builder().routingKey(queueName).declare(queue).build();
        long intervalNanos = (long) (1e9 * plan.publishers() / plan.rate());
        long due = System.nanoTime();
        Connection conn = Connection.open(target.url());
        try {
            Producer producer = Producer.builder(conn).exchange(queue.bindings().get(0).exchange()).build();
            for (int id = first; id < n; id += plan.publishers()) {
                LockSupport.parkNanos(due - System.nanoTime());
                due += intervalNanos;
                int attempt = 0;
                while (true) {
                    if (System.nanoTime() - deadline > 0 || stopping) {
                        return;
                    }
                    try {
                        producer.publish(Map.of("id", id), opts);
                        accepted.set(id, 1);
                        acceptedCount.incrementAndGet();
                        break;
                    } catch (KombuException | IllegalStateException e) {
                        // Not accepted: a new connection, a pause, and the same message again.
                        if (publishRetries.incrementAndGet() <= 3) {
                            notes.add("publish retried after " + e.getClass().getSimpleName());
                        }
                        closeQuietly(conn);
                        sleep(Math.min(1000, 50L << Math.min(attempt++, 5)));
                        conn = Connection.open(target.url());
                        producer = Producer.builder(conn).exchange(queue.bindings().get(0).exchange()).build();
                    }
                }
            }
        } finally {
            closeQuietly(conn);
        }
    }

    private void closeQuietly(Connection conn) {
        try {
            conn.close();
        } catch (KombuException | IllegalStateException e) {
            log.println("[chaos] closing a publisher's connection: " + e.getMessage());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- consumer children ----

    private record Child(int id, Process process, Thread reader) {
    }

    private void spawn() throws IOException {
        int id = nextChildId++;
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ChaosConsumer.class.getName(), target.url(),
                exchangeName, queueName, Integer.toString(plan.prefetch()), Integer.toString(plan.workMillis()));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(logDir.resolve(target.name() + "-consumers.log").toFile()));
        Process p = pb.start();
        p.getOutputStream().close();
        Thread reader = new Thread(() -> read(id, p), "chaos-consumer-" + id);
        reader.setDaemon(true);
        reader.start();
        children.add(new Child(id, p, reader));
    }

    private void read(int child, Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("R ")) {
                    received(Integer.parseInt(line.substring(2)), child);
                } else if (line.startsWith("E ")) {
                    consumerReconnects.incrementAndGet();
                } else if (line.startsWith("X ")) {
                    notes.add("consumer " + child + " ended: " + line.substring(2));
                }
            }
        } catch (IOException | NumberFormatException e) {
            notes.add("reading consumer " + child + ": " + e);
        }
    }

    private synchronized void received(int id, int child) {
        long now = System.nanoTime();
        if (id < 0 || id >= n) {
            notes.add("foreign message id " + id);
            return;
        }
        if (receipts[id] > 0 && killedChildren.contains(lastBy[id])) {
            longestRedeliveryNanos = Math.max(longestRedeliveryNanos, now - lastAt[id]);
        }
        if (receipts[id]++ == 0) {
            unique++;
        }
        total++;
        lastAt[id] = now;
        lastBy[id] = child;
    }

    private void killOne() throws IOException, InterruptedException {
        List<Child> alive = children.stream().filter(c -> c.process.isAlive()).toList();
        if (alive.isEmpty()) {
            return;
        }
        Child victim = alive.get(random.nextInt(alive.size()));
        killedChildren.add(victim.id);
        // SIGKILL through the handle: Process.destroyForcibly would also close our end of its stdout, dropping
        // receipts it wrote before it died, which would then look lost.
        victim.process.toHandle().destroyForcibly();
        victim.process.waitFor(10, TimeUnit.SECONDS);
        victim.reader.join(5000);
        children.remove(victim);
        Thread.sleep(100 + random.nextInt(900));
        spawn();
    }

    /** A consumer that ended by itself (the library gave up): a finding; a new one takes its place. */
    private void respawnCrashed() throws IOException {
        for (Child c : children) {
            if (!c.process.isAlive() && !stopping) {
                consumerCrashes++;
                notes.add("consumer " + c.id + " exited with " + c.process.exitValue() + " (see "
                        + logDir.resolve(target.name() + "-consumers.log") + ")");
                killedChildren.add(c.id);
                children.remove(c);
                spawn();
            }
        }
    }
}
