package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespParser;
import org.kombu4j.redis.internal.RespWriter;
import org.kombu4j.testkit.brokers.PrivateRedis;

/**
 * Issue 6's idle target: a consumer of 1,000 queues, idle for 10 s, sends at most 11 commands per
 * connection and uses under 0.1 CPU-seconds. Runs on a private redis-server so that nobody else's
 * commands count; the commands are read from {@code MONITOR} (per client address, Lua-internal
 * lines excluded: they are not sent by the client) and cross-checked with {@code INFO commandstats}.
 */
class RedisIdleTest {
    private static final int QUEUES = 1000;
    private static final Duration SETTLE = Duration.ofSeconds(1);
    private static final Duration WINDOW = Duration.ofSeconds(10);

    @Test
    void anIdleConsumerOfAThousandQueuesSendsAlmostNothing() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); Admin admin = new Admin(redis.port());
                Monitor monitor = new Monitor(redis.port())) {
            String url = redis.url("");
            List<Queue> queues = new ArrayList<>();
            for (int i = 0; i < QUEUES; i++) {
                queues.add(Queue.of("idle.q." + i));
            }
            AtomicInteger delivered = new AtomicInteger();
            try (Connection conn = Connection.open(url);
                    Consumer consumer = conn.consumer(queues.toArray(new Queue[0])).prefetch(10)
                            .onMessage((body, m) -> delivered.incrementAndGet()).consume()) {
                drainFor(conn, SETTLE);
                monitor.start();
                admin.call("CONFIG", "RESETSTAT");
                List<String> mine = List.of(admin.address(), monitor.address());
                long cpu0 = processCpuNanos();
                Map<Long, Long> threads0 = threadCpu();
                drainFor(conn, WINDOW);
                Map<Long, Long> threads1 = threadCpu();
                long cpu = processCpuNanos() - cpu0;
                // Java threads' CPU over the window, the test's MONITOR reader excluded: the consumer
                // runs on the draining thread (the transport starts none of its own); what the
                // process figure adds is the JVM's own (JIT, GC) and surefire's.
                long threadCpu = 0;
                StringBuilder busy = new StringBuilder();
                for (Map.Entry<Long, Long> e : threads1.entrySet()) {
                    if (e.getKey() == monitor.threadId()) {
                        continue;
                    }
                    long d = e.getValue() - threads0.getOrDefault(e.getKey(), 0L);
                    threadCpu += d;
                    if (d > 1_000_000) {
                        busy.append(String.format(" %s=%.4f s", threadName(e.getKey()), d / 1e9));
                    }
                }
                String stats = Resp.text(admin.call("INFO", "commandstats"));
                String clients = Resp.text(admin.call("CLIENT", "LIST"));
                Thread.sleep(200); // let MONITOR's last lines arrive
                List<String> lines = monitor.stop();

                Map<String, List<String>> byClient = new TreeMap<>();
                for (String line : lines) {
                    String addr = clientOf(line);
                    if (addr == null || addr.equals("lua") || mine.contains(addr)) {
                        continue;
                    }
                    byClient.computeIfAbsent(addr, a -> new ArrayList<>()).add(line);
                }
                int kombuConnections = 0;
                for (String c : clients.split("\n")) {
                    String addr = field(c, "addr");
                    if (addr != null && !mine.contains(addr)) {
                        kombuConnections++;
                    }
                }
                long statCalls = commandstatsTotal(stats) - ownCalls(stats);
                StringBuilder report = new StringBuilder();
                report.append(String.format("idle %d s over %d queues: Java threads' CPU %.4f s (%s), process CPU %.4f s (incl. JIT, GC,"
                        + " surefire, MONITOR reader), %d kombu4j connections, commandstats calls (incl. Lua-internal) %d%n",
                        WINDOW.toSeconds(), QUEUES, threadCpu / 1e9, busy.toString().trim(), cpu / 1e9, kombuConnections,
                        statCalls));
                byClient.forEach((addr, ls) -> {
                    report.append("  ").append(addr).append(": ").append(ls.size()).append(" commands\n");
                    ls.forEach(l -> report.append("    ").append(abbreviate(l)).append('\n'));
                });
                System.out.print(report);

                assertThat(delivered.get()).isZero();
                assertThat(kombuConnections).as("kombu4j connections").isBetween(1, 2);
                for (Map.Entry<String, List<String>> e : byClient.entrySet()) {
                    assertThat(e.getValue().size()).as("commands sent by %s while idle:%n%s", e.getKey(), report)
                            .isLessThanOrEqualTo(11);
                }
                assertThat(threadCpu).as("CPU of the Java threads while idle (ns):%n%s", report).isLessThan(100_000_000L);
            }
        }
    }

    private static void drainFor(Connection conn, Duration d) {
        long end = System.nanoTime() + d.toNanos();
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            conn.drainEvents(Duration.ofNanos(left));
        }
    }

    private static Map<Long, Long> threadCpu() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Long> out = new java.util.HashMap<>();
        for (long id : mx.getAllThreadIds()) {
            long t = mx.getThreadCpuTime(id);
            if (t >= 0) {
                out.put(id, t);
            }
        }
        return out;
    }

    private static String threadName(long id) {
        java.lang.management.ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(id);
        return info == null ? "#" + id : info.getThreadName();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The client address of a MONITOR line {@code 1700000000.123456 [0 127.0.0.1:5555] "PING"}, or "lua". */
    static String clientOf(String line) {
        int open = line.indexOf('[');
        int close = line.indexOf(']', open + 1);
        if (open < 0 || close < 0) {
            return null;
        }
        String[] parts = line.substring(open + 1, close).split(" ");
        return parts.length == 2 ? parts[1] : null;
    }

    private static String field(String clientLine, String name) {
        for (String kv : clientLine.trim().split(" ")) {
            if (kv.startsWith(name + "=")) {
                return kv.substring(name.length() + 1);
            }
        }
        return null;
    }

    private static long commandstatsTotal(String stats) {
        long total = 0;
        for (String line : stats.split("\r?\n")) {
            int i = line.indexOf("calls=");
            if (line.startsWith("cmdstat_") && i > 0) {
                total += Long.parseLong(line.substring(i + 6, line.indexOf(',', i)));
            }
        }
        return total;
    }

    /** The admin connection's CONFIG RESETSTAT, counted after the reset. */
    private static long ownCalls(String stats) {
        return stats.contains("cmdstat_config|resetstat:") ? 1 : 0;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "... (" + s.length() + " chars)";
    }

    /** A blocking RESP connection for the test's own commands. */
    static class Admin implements AutoCloseable {
        final Socket socket = new Socket();
        final RespParser parser = new RespParser();
        final byte[] buf = new byte[64 * 1024];

        Admin(int port) throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
        }

        String address() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        Object call(String... args) throws IOException {
            send(args);
            return read();
        }

        void send(String... args) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write(RespWriter.command(List.of((Object[]) args)));
            out.flush();
        }

        Object read() throws IOException {
            InputStream in = socket.getInputStream();
            while (true) {
                Object r = parser.next();
                if (r != RespParser.NEED_MORE) {
                    return r;
                }
                int n = in.read(buf);
                if (n < 0) {
                    throw new IOException("connection closed");
                }
                parser.feed(buf, 0, n);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** MONITOR on its own connection; lines are collected from {@link #start} to {@link #stop}. */
    static final class Monitor extends Admin {
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private volatile boolean running;
        private Thread reader;

        Monitor(int port) throws IOException {
            super(port);
        }

        void start() throws IOException {
            String ok = Resp.text(call("MONITOR"));
            assertThat(ok).isEqualTo("OK");
            socket.setSoTimeout(100);
            running = true;
            reader = new Thread(() -> {
                while (running) {
                    try {
                        Object r = read();
                        lines.add(new String(Resp.text(r).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
                    } catch (SocketTimeoutException e) {
                        // poll running again
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "idle-test-monitor");
            reader.setDaemon(true);
            reader.start();
        }

        long threadId() {
            return reader == null ? -1 : reader.getId();
        }

        List<String> stop() throws InterruptedException {
            running = false;
            reader.join(2000);
            return new ArrayList<>(lines);
        }
    }
}
