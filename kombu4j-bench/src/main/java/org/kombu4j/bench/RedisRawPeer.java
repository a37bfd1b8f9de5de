package org.kombu4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.kombu4j.BrokerUrl;

/**
 * Raw Redis lists through {@code redis-benchmark}, the ceiling of any Redis-backed queue here: the
 * bench-peers script {@code redis_raw.py} with 1 KiB values on one connection, variant
 * {@code c1_d1024} ({@code -c 1 -P 1}) for {@code publish} (its LPUSH step) and
 * {@code consume-noack} (its RPOP step), and {@code c1_P16_d1024} ({@code -c 1 -P 16}) for
 * {@code publish-async}. It runs where {@link PythonKombuPeer} does: Redis on 127.0.0.1:6379, db 10,
 * key {@code bench.rb.list}. The value is 1,024 bytes; kombu4j stores a ~1.66 KB envelope for a
 * 1 KiB body (base64 and properties), so the raw figure moves fewer bytes per message.
 */
final class RedisRawPeer implements Peer {
    private final Path dir;
    private final String python;

    RedisRawPeer(Path dir) {
        this.dir = dir;
        String env = System.getenv(PythonKombuPeer.PYTHON_ENV);
        this.python = env != null && !env.isBlank() ? env : "/usr/bin/python3";
    }

    @Override
    public String name() {
        return "redis-benchmark";
    }

    @Override
    public boolean supports(Scenario scenario, String url) {
        if (!isLocalRedis(url) || !Files.isRegularFile(dir.resolve("redis_raw.py"))) {
            return false;
        }
        return scenario == Scenario.PUBLISH || scenario == Scenario.PUBLISH_ASYNC || scenario == Scenario.CONSUME_NOACK;
    }

    static boolean isLocalRedis(String url) {
        String p = PythonKombuPeer.peerUrl(url);
        return p != null && BrokerUrl.parse(url.split(";")[0]).scheme().equals("redis");
    }

    /** The script variant for {@code scenario}. */
    static String variant(Scenario scenario) {
        return scenario == Scenario.PUBLISH_ASYNC ? "c1_P16_d1024" : "c1_d1024";
    }

    /** The script step ({@code test}, first round) that measures {@code scenario}. */
    static String step(Scenario scenario) {
        return scenario == Scenario.CONSUME_NOACK ? "rpop" : "lpush";
    }

    @Override
    public List<Measurement> run(Scenario scenario, Settings s, int round, Deadline deadline, PrintStream err) {
        List<String> cmd = List.of(python, dir.resolve("redis_raw.py").toString(), variant(scenario), "-n",
                Integer.toString(Math.max(1000, s.messages())));
        List<Measurement> out = new ArrayList<>();
        try {
            PeerProcess.Outcome o = PeerProcess.run(cmd, deadline, err, name());
            for (Map<String, Object> line : o.lines()) {
                Object round1 = line.get("round");
                if (step(scenario).equals(line.get("test")) && round1 instanceof Number && ((Number) round1).intValue() == 1) {
                    out.add(normalize(line, scenario, s, round));
                }
            }
            if (out.isEmpty() || o.exitCode() != 0 || o.timedOut()) {
                Measurement m = out.isEmpty() ? blank(scenario, s, round) : out.get(0);
                m.error(o.timedOut() ? "redis_raw.py killed at the deadline" : "redis_raw.py exited with " + o.exitCode());
                if (out.isEmpty()) {
                    out.add(m);
                }
            }
        } catch (IOException e) {
            out.add(blank(scenario, s, round).error("cannot start " + python + ": " + e.getMessage()));
        }
        return out;
    }

    private Measurement blank(Scenario scenario, Settings s, int round) {
        return new Measurement(name(), "redis", scenario.cliName()).put("round", round).put("body_bytes", 1024);
    }

    /** A {@code redis_raw.py} line under kombu4j's field names; latency fields are per command. */
    Measurement normalize(Map<String, Object> line, Scenario scenario, Settings s, int round) {
        Measurement m = blank(scenario, s, round);
        m.put("messages", line.get("msgs")).put("seconds", line.get("seconds")).put("msgs_per_s", line.get("msgs_per_s"));
        m.put("p50_ms", line.get("p50_ms")).put("p99_ms", line.get("p99_ms")).put("max_ms", line.get("max_ms"));
        m.put("connections", 1).put("missing", 0).put("duplicates", 0);
        m.put("latency_of", "command").put("variant", line.get("variant")).put("pipeline", line.get("pipeline"));
        m.put("redis_server_cpu_s", line.get("redis_server_cpu_s")).put("command", line.get("command"));
        return m;
    }
}
