package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A RabbitMQ cluster of private nodes on this host (never the shared node on 5672): each a {@link PrivateRabbit}
 * with its own node name, AMQP and distribution ports and data directory, all sharing an Erlang cookie of their
 * own (a {@code HOME} directory made for the cluster, so neither the user's cookie nor the shared broker's is
 * touched). The nodes boot in parallel; then each node after the first, one at a time, runs {@code stop_app},
 * {@code join_cluster <first>} (which resets it), {@code start_app}, and the first waits until all are online.
 * About 40-50 s for three nodes on a 2-core machine loaded by other builds.
 *
 * <p>{@link #kill(int)} SIGKILLs one node's Erlang VM (the other nodes see it go at once: its distribution
 * connections close). {@link #close()} kills every node and deletes the directories.
 */
public final class PrivateRabbitCluster implements AutoCloseable {
    private static final long CTL_TIMEOUT_SECONDS = 120;

    private final Path home;
    private final List<PrivateRabbit> nodes = new ArrayList<>();

    /** Boots {@code size} nodes and joins them into one cluster. */
    public PrivateRabbitCluster(int size) throws IOException, InterruptedException {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, got " + size);
        }
        PrivateRabbit.launcher("rabbitmq-server"); // skip (or fail under CI) before making anything
        home = Files.createTempDirectory("kombu4j-rabbit-cluster-");
        try {
            Path cookie = home.resolve(".erlang.cookie");
            byte[] secret = new byte[20];
            new SecureRandom().nextBytes(secret);
            Files.writeString(cookie, HexFormat.of().formatHex(secret).toUpperCase(java.util.Locale.ROOT));
            Files.setPosixFilePermissions(cookie, PosixFilePermissions.fromString("r--------"));
            for (int i = 0; i < size; i++) {
                nodes.add(new PrivateRabbit(home, false));
            }
            bootAll();
            String first = nodes.get(0).nodeName();
            // One join at a time: two nodes joining the first at once can leave a joiner whose database will not
            // start ({mnesia_app,start} "normal" at start_app, seen in CI), and redoing the same join does not
            // mend it. A join that fails is redone from a wiped node that the first node has forgotten.
            for (PrivateRabbit n : nodes.subList(1, size)) {
                try {
                    ctl(n, "stop_app");
                    ctl(n, "join_cluster", first);
                    ctl(n, "start_app");
                } catch (IOException e) {
                    System.err.println("cluster node " + n.nodeName() + ": join failed, wiping it and joining again: "
                            + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
                    quietly(n, "stop_app");
                    quietly(nodes.get(0), "forget_cluster_node", n.nodeName());
                    ctl(n, "force_reset");
                    ctl(n, "join_cluster", first);
                    ctl(n, "start_app");
                }
            }
            ctl(nodes.get(0), "await_online_nodes", Integer.toString(size));
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void bootAll() throws IOException, InterruptedException {
        List<PrivateRabbit> failed = inParallel(nodes, PrivateRabbit::start);
        if (!failed.isEmpty()) {
            throw new IOException("cluster node " + failed.get(0).nodeName() + " did not boot:\n" + failed.get(0).log());
        }
    }

    private interface NodeStep {
        void run(PrivateRabbit node) throws IOException, InterruptedException;
    }

    /** Runs {@code step} on each node in a thread of its own; returns the nodes where it failed. */
    private static List<PrivateRabbit> inParallel(List<PrivateRabbit> on, NodeStep step) throws InterruptedException {
        List<PrivateRabbit> failed = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (PrivateRabbit n : on) {
            Thread t = new Thread(() -> {
                try {
                    step.run(n);
                } catch (IOException | InterruptedException | RuntimeException e) {
                    System.err.println("cluster node " + n.nodeName() + ": " + e.getMessage());
                    failed.add(n);
                }
            }, "cluster-" + n.nodeName());
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return failed;
    }

    /** The nodes, in the order they were made; the first is the one the others joined. */
    public List<PrivateRabbit> nodes() {
        return List.copyOf(nodes);
    }

    /** A node. */
    public PrivateRabbit node(int i) {
        return nodes.get(i);
    }

    /**
     * A failover URL listing every node in order, {@code amqp://guest:guest@127.0.0.1:P1//OPTIONS;amqp://...}, each
     * alternative with {@code options} (e.g. {@code "?heartbeat=5"}).
     */
    public String failoverUrl(String options) {
        return nodes.stream().map(n -> n.url(options)).collect(Collectors.joining(";"));
    }

    /** SIGKILLs node {@code i}'s Erlang VM. */
    public void kill(int i) throws InterruptedException {
        nodes.get(i).kill();
    }

    /**
     * Runs {@code rabbitmqctl -n <node> args...} with the cluster's cookie; returns its output.
     *
     * @throws IOException if it fails or takes more than two minutes
     */
    public String rabbitmqctl(PrivateRabbit node, String... args) throws IOException, InterruptedException {
        return ctl(node, args);
    }

    /** {@link #ctl} for a step whose failure does not matter (the state it asks for may hold already). */
    private void quietly(PrivateRabbit node, String... args) throws InterruptedException {
        try {
            ctl(node, args);
        } catch (IOException e) {
            System.err.println("cluster node " + node.nodeName() + ": " + String.join(" ", args) + " failed (ignored)");
        }
    }

    private String ctl(PrivateRabbit node, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(PrivateRabbit.launcher("rabbitmqctl").toString());
        cmd.add("-n");
        cmd.add(node.nodeName());
        cmd.addAll(List.of(args));
        // Output to a file, not a pipe: a hung command is then bounded by waitFor, never by a blocking read.
        Path outFile = Files.createTempFile(home, "ctl-", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(outFile.toFile());
        pb.environment().put("HOME", home.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        boolean finished = p.waitFor(CTL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String out = Files.readString(outFile, StandardCharsets.UTF_8);
        Files.deleteIfExists(outFile);
        if (!finished) {
            throw new IOException(String.join(" ", cmd) + " did not finish in " + CTL_TIMEOUT_SECONDS + " s:\n" + out);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "):\n" + out
                    + "\nnode log:\n" + node.log());
        }
        return out;
    }

    /** Kills every node and deletes their directories and the cookie's. Idempotent. */
    @Override
    public void close() throws IOException, InterruptedException {
        IOException first = null;
        for (PrivateRabbit n : nodes) {
            try {
                n.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        nodes.clear();
        ServerProcess.deleteRecursively(home);
        if (first != null) {
            throw first;
        }
    }
}
