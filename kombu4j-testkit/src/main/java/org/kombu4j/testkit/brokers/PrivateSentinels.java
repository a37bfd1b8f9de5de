package org.kombu4j.testkit.brokers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * A private Redis Sentinel group on free loopback ports: a master, {@code replicas} replicas and three
 * sentinels (each {@code redis-server <conf> --sentinel} with a writable conf file in its own temporary
 * directory) monitoring the master as {@link #MASTER_NAME} with quorum 2, {@code down-after-milliseconds}
 * 1000 and {@code failover-timeout} 3000 — so that a killed master is replaced within a few seconds.
 * Servers keep nothing on disk. Without redis-server the test is skipped, or fails with {@code CI=true}.
 */
public final class PrivateSentinels implements AutoCloseable {
    /** The name the sentinels monitor the master under. */
    public static final String MASTER_NAME = "kombu4j-master";
    private static final long START_TIMEOUT_MILLIS = 15_000;

    private final List<ServerProcess> redis = new ArrayList<>();
    private final List<Integer> redisPorts = new ArrayList<>();
    private final List<ServerProcess> sentinels = new ArrayList<>();
    private final List<Integer> sentinelPorts = new ArrayList<>();
    private String sentinelPassword;

    /** Starts a master, one replica and three sentinels, and waits until the sentinels see the replica. */
    public PrivateSentinels() throws IOException, InterruptedException {
        this(1, List.of(), null);
    }

    /**
     * Starts the group; {@code redisArgs} are more options for the master and replicas (e.g. {@code --requirepass}).
     * With a {@code --requirepass}, give {@code --masterauth} too, so replicas can follow. A non-null
     * {@code sentinelPassword} is the sentinels' own {@code requirepass} (and what they give each other).
     */
    public PrivateSentinels(int replicas, List<String> redisArgs, String sentinelPassword)
            throws IOException, InterruptedException {
        Path server = TestEnvironment.requireExecutable("redis-server");
        this.sentinelPassword = sentinelPassword;
        try {
            for (int i = 0; i <= replicas; i++) {
                int port = ServerProcess.freePort();
                List<String> cmd = new ArrayList<>(List.of(server.toString(), "--port", Integer.toString(port), "--bind",
                        "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice",
                        // A replica re-syncing with a new master would otherwise wait 5 s for others to join the sync.
                        "--repl-diskless-sync-delay", "0"));
                if (i > 0) {
                    cmd.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(redisPorts.get(0))));
                }
                cmd.addAll(redisArgs);
                ServerProcess p = new ServerProcess("private redis-server", cmd, Map.of(),
                        Files.createTempDirectory("kombu4j-sentinel-redis-"), port, START_TIMEOUT_MILLIS);
                redis.add(p);
                redisPorts.add(port);
                p.start();
            }
            String auth = masterAuth(redisArgs);
            for (int i = 0; i < 3; i++) {
                int port = ServerProcess.freePort();
                Path dir = Files.createTempDirectory("kombu4j-sentinel-");
                Path conf = dir.resolve("sentinel.conf");
                StringBuilder c = new StringBuilder()
                        .append("port ").append(port).append('\n')
                        .append("bind 127.0.0.1\n")
                        .append("daemonize no\n")
                        .append("dir ").append(dir).append('\n')
                        .append("sentinel resolve-hostnames no\n")
                        .append("sentinel monitor ").append(MASTER_NAME).append(" 127.0.0.1 ").append(redisPorts.get(0)).append(" 2\n")
                        .append("sentinel down-after-milliseconds ").append(MASTER_NAME).append(" 1000\n")
                        .append("sentinel failover-timeout ").append(MASTER_NAME).append(" 3000\n")
                        .append("sentinel parallel-syncs ").append(MASTER_NAME).append(" 1\n");
                if (sentinelPassword != null) {
                    c.append("requirepass ").append(sentinelPassword).append('\n')
                            .append("sentinel sentinel-pass ").append(sentinelPassword).append('\n');
                }
                if (auth != null) {
                    c.append("sentinel auth-pass ").append(MASTER_NAME).append(' ').append(auth).append('\n');
                }
                Files.writeString(conf, c.toString());
                ServerProcess p = new ServerProcess("private redis sentinel",
                        List.of(server.toString(), conf.toString(), "--sentinel"), Map.of(), dir, port, START_TIMEOUT_MILLIS);
                sentinels.add(p);
                sentinelPorts.add(port);
                p.start();
            }
            awaitReady(replicas, redisPassword(redisArgs), sentinelPassword);
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Waits until every replica is in sync and every sentinel knows the replicas and the two other sentinels:
     * before that, a killed master would not be replaced (or a WAIT not acknowledged).
     */
    private void awaitReady(int replicas, String redisPassword, String sentinelPassword)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT_MILLIS * 1_000_000L;
        String last = "";
        while (System.nanoTime() < deadline) {
            String info = field(call(redisPorts.get(0), redisPassword, "INFO", "replication"), null);
            int online = info.split("state=online", -1).length - 1;
            boolean ready = online >= replicas;
            last = "master has " + online + " replica(s) online";
            for (int port : sentinelPorts) {
                List<String> m = call(port, sentinelPassword, "SENTINEL", "master", MASTER_NAME);
                String slaves = field(m, "num-slaves");
                String others = field(m, "num-other-sentinels");
                if (!String.valueOf(replicas).equals(slaves) || !"2".equals(others)) {
                    ready = false;
                    last += "; sentinel " + port + " sees " + slaves + " replica(s) and " + others + " other sentinel(s)";
                }
            }
            if (ready) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("the private Sentinel group did not get ready within " + START_TIMEOUT_MILLIS + " ms: " + last
                + "\n" + logs());
    }

    /** The value after {@code name} in a flat reply, or the first element when {@code name} is null; "" if absent. */
    private static String field(List<String> reply, String name) {
        if (name == null) {
            return reply.isEmpty() ? "" : reply.get(0);
        }
        int i = reply.indexOf(name);
        return i >= 0 && i + 1 < reply.size() ? reply.get(i + 1) : "";
    }

    /** One command over a fresh socket (RESP2), its reply flattened to strings; for setting up, not for tests. */
    private static List<String> call(int port, String password, String... command) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            java.io.OutputStream out = s.getOutputStream();
            java.io.BufferedInputStream in = new java.io.BufferedInputStream(s.getInputStream());
            List<String> reply = new ArrayList<>();
            if (password != null) {
                out.write(encode("AUTH", password));
                read(in, new ArrayList<>());
            }
            out.write(encode(command));
            out.flush();
            read(in, reply);
            return reply;
        }
    }

    private static byte[] encode(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void read(java.io.InputStream in, List<String> into) throws IOException {
        String line = readLine(in);
        char type = line.charAt(0);
        String rest = line.substring(1);
        switch (type) {
            case '+', ':' -> into.add(rest);
            case '-' -> throw new IOException("redis replied " + rest);
            case '$' -> {
                int n = Integer.parseInt(rest);
                if (n >= 0) {
                    byte[] b = in.readNBytes(n + 2);
                    into.add(new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            case '*' -> {
                int n = Integer.parseInt(rest);
                for (int i = 0; i < n; i++) {
                    read(in, into);
                }
            }
            default -> throw new IOException("unexpected reply " + line);
        }
    }

    private static String readLine(java.io.InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    private static String redisPassword(List<String> args) {
        return masterAuth(args);
    }

    private static String masterAuth(List<String> args) {
        int i = args.indexOf("--requirepass");
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
    }

    /** The port of the first master (index 0) or of a replica (1...) as started; roles change on failover. */
    public int redisPort(int index) {
        return redisPorts.get(index);
    }

    /** The sentinels' ports. */
    public List<Integer> sentinelPorts() {
        return List.copyOf(sentinelPorts);
    }

    /** SIGKILLs the redis-server started as {@code index} (0 = the first master). */
    public void killRedis(int index) throws InterruptedException {
        redis.get(index).kill();
    }

    /** SIGKILLs the redis-server listening on {@code port} (the master's, after a failover). */
    public void killRedisOnPort(int port) throws InterruptedException {
        redis.get(redisPorts.indexOf(port)).kill();
    }

    /**
     * Asks a sentinel for a failover ({@code SENTINEL FAILOVER}): the master is demoted while alive, and Sentinel
     * closes its clients' connections.
     */
    public void failover() throws IOException {
        List<String> r = call(sentinelPorts.get(0), sentinelPassword, "SENTINEL", "FAILOVER", MASTER_NAME);
        if (!r.equals(List.of("OK"))) {
            throw new IOException("SENTINEL FAILOVER answered " + r);
        }
    }

    /** SIGKILLs every sentinel. */
    public void killSentinels() throws InterruptedException {
        for (ServerProcess s : sentinels) {
            s.kill();
        }
    }

    /**
     * Kombu's URL for the group: {@code sentinel://127.0.0.1:p1;sentinel://127.0.0.1:p2;sentinel://127.0.0.1:p3}
     * with {@code query} (e.g. {@code "?master_name=" + MASTER_NAME}) after the last one; {@code auth} (e.g.
     * {@code ":pw@"}) and {@code db} (e.g. {@code "/3"}) go on the first.
     */
    public String url(String auth, String db, String query) {
        StringJoiner j = new StringJoiner(";");
        for (int i = 0; i < sentinelPorts.size(); i++) {
            j.add("sentinel://" + (i == 0 ? auth : "") + "127.0.0.1:" + sentinelPorts.get(i) + (i == 0 ? db : ""));
        }
        return j + query;
    }

    /** {@link #url(String, String, String)} of database 0 with {@code master_name} and {@code more} options (e.g. {@code "&x=1"}). */
    public String url(String more) {
        return url("", "", "?master_name=" + MASTER_NAME + more);
    }

    /** The end of each server's log, for a failed test's message. */
    public String logs() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < redis.size(); i++) {
            sb.append("--- redis ").append(redisPorts.get(i)).append('\n').append(redis.get(i).tail());
        }
        for (int i = 0; i < sentinels.size(); i++) {
            sb.append("--- sentinel ").append(sentinelPorts.get(i)).append('\n').append(sentinels.get(i).tail());
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (ServerProcess s : sentinels) {
            s.close();
        }
        for (ServerProcess r : redis) {
            r.close();
        }
    }
}
