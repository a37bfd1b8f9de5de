package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * A throwaway Redis Cluster on loopback: {@code masters × (1 + replicas)} redis-server processes with
 * {@code --cluster-enabled yes} on free ports, joined by {@code redis-cli --cluster create}, each in its
 * own temporary directory (for {@code nodes.conf}), torn down by {@link #close()}. The node timeout is
 * 1000 ms, so a replica takes over a killed master within a few seconds. Without redis-server or
 * redis-cli the test is skipped, or fails with {@code CI=true}.
 */
public final class PrivateRedisCluster implements AutoCloseable {
    private static final long READY_TIMEOUT_MILLIS = 30_000;

    private final Path cli;
    private final Path dir;
    private final List<PrivateRedis> nodes = new ArrayList<>();
    private final List<Boolean> alive = new ArrayList<>();

    /** Starts {@code masters} masters with {@code replicas} replicas each, and waits until the cluster is ok. */
    public PrivateRedisCluster(int masters, int replicas) throws IOException, InterruptedException {
        TestEnvironment.requireExecutable("redis-server");
        this.cli = TestEnvironment.requireExecutable("redis-cli");
        this.dir = Files.createTempDirectory("kombu4j-cluster");
        try {
            for (int i = 0; i < masters * (1 + replicas); i++) {
                Path d = Files.createDirectories(dir.resolve("n" + i));
                int bus;
                try (ServerSocket s = new ServerSocket(0)) {
                    bus = s.getLocalPort();
                }
                nodes.add(new PrivateRedis("--cluster-enabled", "yes", "--cluster-node-timeout", "1000",
                        "--cluster-port", Integer.toString(bus), "--dir", d.toString(), "--cluster-config-file", "nodes.conf"));
                alive.add(true);
            }
            List<String> create = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
            for (PrivateRedis n : nodes) {
                create.add("127.0.0.1:" + n.port());
            }
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
            String out = run(create);
            if (!out.contains("All 16384 slots covered")) {
                throw new IOException("redis-cli --cluster create failed:\n" + out);
            }
            awaitOk();
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Every node's port, masters first as created. */
    public List<Integer> ports() {
        return nodes.stream().map(PrivateRedis::port).toList();
    }

    /**
     * The {@code redis+cluster://} URL: every live node as a seed, in a {@code ;} failover list,
     * {@code options} (e.g. {@code "?key_tag=t"}) after each.
     */
    public String url(String options) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (alive.get(i)) {
                parts.add("redis+cluster://127.0.0.1:" + nodes.get(i).port() + options);
            }
        }
        return String.join(";", parts);
    }

    /** Runs {@code redis-cli -p <a live node> args...} and returns its output. */
    public String cli(String... args) throws IOException, InterruptedException {
        for (int i = 0; i < nodes.size(); i++) {
            if (alive.get(i)) {
                List<String> cmd = new ArrayList<>(List.of(cli.toString(), "-p", Integer.toString(nodes.get(i).port())));
                cmd.addAll(List.of(args));
                return run(cmd);
            }
        }
        throw new IOException("no live node");
    }

    /** The port of the master serving {@code slot} now, as a live node's {@code CLUSTER NODES} says. */
    public int masterOf(int slot) throws IOException, InterruptedException {
        for (String line : cli("cluster", "nodes").split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) {
                continue;
            }
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // a slot being migrated
                }
                String[] range = f[i].split("-");
                int lo = Integer.parseInt(range[0]);
                int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
                if (slot >= lo && slot <= hi) {
                    String addr = f[1].split("@")[0];
                    return Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
                }
            }
        }
        throw new IOException("no live master serves slot " + slot);
    }

    /** The slot of {@code key}, as the cluster computes it ({@code CLUSTER KEYSLOT}). */
    public int keySlot(String key) throws IOException, InterruptedException {
        return Integer.parseInt(cli("cluster", "keyslot", key).trim());
    }

    /** SIGKILLs the node on {@code port}. */
    public void kill(int port) throws InterruptedException {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).port() == port) {
                nodes.get(i).kill();
                alive.set(i, false);
                return;
            }
        }
        throw new IllegalArgumentException("no node on port " + port);
    }

    /**
     * Waits until a master other than {@code oldPort} serves {@code slot} (its replica was promoted), then
     * until the cluster is ok again.
     */
    public void awaitFailover(int slot, int oldPort) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        while (true) {
            try {
                if (masterOf(slot) != oldPort) {
                    break;
                }
            } catch (IOException e) {
                // the old master is marked failed and the replica not yet promoted
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("no replica took slot " + slot + " over from port " + oldPort + ":\n" + cli("cluster", "nodes"));
            }
            Thread.sleep(50);
        }
        awaitOk();
    }

    /** Waits until every live node reports {@code cluster_state:ok} (after a failover: the replica promoted). */
    public void awaitOk() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        while (true) {
            boolean ok = true;
            for (int i = 0; i < nodes.size() && ok; i++) {
                if (alive.get(i)) {
                    String info = run(List.of(cli.toString(), "-p", Integer.toString(nodes.get(i).port()), "cluster", "info"));
                    ok = info.contains("cluster_state:ok");
                }
            }
            if (ok) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the private Redis Cluster is not ok after " + READY_TIMEOUT_MILLIS + " ms:\n"
                        + cli("cluster", "nodes"));
            }
            Thread.sleep(100);
        }
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        for (PrivateRedis n : nodes) {
            n.kill();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}
