package org.kombu4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.transport.TransportChannel;

/**
 * The latency scenario's publisher in a JVM of its own, so that a wake-up has to cross processes as it does
 * between a real producer and worker (an in-process publisher could be woken by the transport inside the JVM). The
 * parent starts {@link #main} with the same class path; the child connects, warms its publish path up on a scratch
 * queue of the run ({@code <prefix>.warm}, deleted again), prints {@code READY}, waits for {@code GO} on standard
 * input, publishes message i at {@code start + i / rate} round-robin over the run's queues and prints
 * {@code DONE <p50> <p99> <max>} (its publish calls' durations in µs) or {@code ERROR <why>}. Its standard error is the parent's.
 *
 * <p>Arguments: URL, exchange, rate, messages, body bytes, deadline seconds, then the queue names.
 */
final class LatencyPublisherProcess {
    /** Messages the child publishes to its scratch queue before it reports ready. */
    static final int WARMUP_MESSAGES = 3000;

    private LatencyPublisherProcess() {
    }

    /** The child: see the class comment. */
    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try {
            String url = args[0];
            Exchange exchange = Exchange.direct(args[1]);
            double rate = Double.parseDouble(args[2]);
            int n = Integer.parseInt(args[3]);
            Bodies bodies = new Bodies(Integer.parseInt(args[4]));
            Deadline deadline = Deadline.in(Duration.ofSeconds(Long.parseLong(args[5])));
            List<PublishOptions> targets = new ArrayList<>();
            for (int i = 6; i < args.length; i++) {
                targets.add(PublishOptions.routingKey(args[i]));
            }
            try (Connection conn = Connection.open(url)) {
                Producer producer = Producer.builder(conn).exchange(exchange).build();
                warmUp(conn, producer, exchange, bodies, deadline);
                out.println("READY");
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String go = in.readLine();
                if (!"GO".equals(go)) {
                    out.println("ERROR expected GO, got " + go);
                    return;
                }
                org.HdrHistogram.Histogram calls = new org.HdrHistogram.Histogram(3);
                PublisherThread publisher = PublisherThread.atFixedRate("kombu4j-bench-publisher", n, rate,
                        System.nanoTime(), deadline, i -> {
                            long st = System.nanoTime();
                            producer.publish(bodies.body(i), targets.get(i % targets.size()));
                            calls.recordValue(Math.max(0, (System.nanoTime() - st) / 1000));
                        });
                publisher.start();
                publisher.finish(deadline.remaining().toMillis() + 1);
                // The publish calls' own time (µs), so that a slow publish can be told from a slow wake-up.
                out.println(publisher.error() == null ? "DONE " + calls.getValueAtPercentile(50) + " "
                        + calls.getValueAtPercentile(99) + " " + calls.getMaxValue() : "ERROR " + publisher.error());
            }
        } catch (RuntimeException e) {
            out.println("ERROR " + Measurement.describe(e));
        }
    }

    /** Publishes to a scratch queue of the run, then deletes it: the JIT has seen the publish path. */
    private static void warmUp(Connection conn, Producer producer, Exchange exchange, Bodies bodies, Deadline deadline) {
        String name = exchange.name().endsWith(".ex") ? exchange.name().substring(0, exchange.name().length() - 3) + ".warm"
                : exchange.name() + ".warm";
        Queue warm = Queue.of(name, exchange, name);
        try (TransportChannel ch = conn.channel()) {
            ch.declareQueue(warm, false);
            for (Binding b : warm.bindings()) {
                ch.bind(warm.name(), b);
            }
            PublishOptions opts = PublishOptions.routingKey(name);
            for (int i = 0; i < WARMUP_MESSAGES && !deadline.passed(); i++) {
                producer.publish(bodies.body(i), opts);
            }
        } finally {
            try (TransportChannel ch = conn.channel()) {
                ch.deleteQueue(name);
            }
        }
    }

    /** The parent's handle on a started child. */
    static final class Child implements AutoCloseable {
        private final Process process;
        private final BufferedReader lines;
        private volatile @Nullable String error;
        private volatile boolean ended;
        private volatile long @Nullable [] publishCallsMicros;
        private long endedSeen;

        private Child(Process process) {
            this.process = process;
            this.lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Starts the child with this JVM's class path and waits until it is ready. */
        static Child start(String url, BenchEntities entities, double rate, int n, int bodyBytes, Deadline deadline) {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xms64m");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(LatencyPublisherProcess.class.getName());
            cmd.add(url);
            cmd.add(entities.exchange().name());
            cmd.add(Double.toString(rate));
            cmd.add(Integer.toString(n));
            cmd.add(Integer.toString(bodyBytes));
            cmd.add(Long.toString(Math.max(5, deadline.remaining().toSeconds())));
            for (Queue q : entities.queues()) {
                cmd.add(q.name());
            }
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot start the publisher process", e);
            }
            Child c = new Child(p);
            String first = c.readLine(deadline);
            if (!"READY".equals(first)) {
                c.close();
                throw new IllegalStateException("publisher process did not become ready: " + first);
            }
            return c;
        }

        private @Nullable String readLine(Deadline deadline) {
            java.util.concurrent.CompletableFuture<String> f = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return lines.readLine();
                } catch (IOException e) {
                    return null;
                }
            });
            try {
                return f.get(deadline.remaining().toMillis() + 1, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        /** Tells the child to start publishing; a thread notes its final line. */
        void go() {
            try {
                process.getOutputStream().write("GO\n".getBytes(StandardCharsets.UTF_8));
                process.getOutputStream().flush();
            } catch (IOException e) {
                error = "publisher process: " + e.getMessage();
                ended = true;
                return;
            }
            Thread t = new Thread(() -> {
                try {
                    String last = lines.readLine();
                    if (last == null || !last.startsWith("DONE")) {
                        error = "publisher process: " + (last == null ? "ended without a result" : last);
                    } else {
                        String[] f = last.split(" ");
                        if (f.length == 4) {
                            publishCallsMicros = new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])};
                        }
                    }
                } catch (IOException e) {
                    error = "publisher process: " + e.getMessage();
                } finally {
                    ended = true;
                }
            }, "kombu4j-bench-publisher-process");
            t.setDaemon(true);
            t.start();
        }

        @Nullable String error() {
            return error;
        }

        /** Adds the child's publish-call p50/p99/max (ms) to {@code m}, waiting up to 3 s for it to end. */
        void reportPublishCalls(Measurement m) {
            // The consumer may have seen the last message before the child printed its result line.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (!ended && System.nanoTime() - until < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            long[] c = publishCallsMicros;
            if (c != null) {
                m.put("publish_call_p50_ms", c[0] / 1e3).put("publish_call_p99_ms", c[1] / 1e3)
                        .put("publish_call_max_ms", c[2] / 1e3);
            }
        }

        /** As {@link PublisherThread#stoppedLongAgo}: ended at least 2 s ago; call once per loop pass. */
        boolean stoppedLongAgo() {
            if (!ended) {
                return false;
            }
            long now = System.nanoTime();
            if (endedSeen == 0) {
                endedSeen = now;
                return false;
            }
            return now - endedSeen > TimeUnit.SECONDS.toNanos(2);
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
