package org.kombu4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;

/**
 * Python Kombu (Debian's {@code python3-kombu}) through the bench-peers scripts:
 * {@code kombu_throughput.py} for publish and consume, {@code kombu_latency.py} (two processes,
 * so not on {@code memory://}) and {@code kombu_idle.py}. Works for every URL the scripts take:
 * {@code memory://}, {@code amqp://}, Redis on 127.0.0.1, where the scripts use only db 10
 * and keys {@code bench.*} whatever db kombu4j uses, and the SQL URLs, given to Kombu's SQLAlchemy
 * transport in its {@code sqla+} form on the same database ({@link #sqlPeerUrl}).
 *
 * <p>On SQL, Kombu moves tens to a few hundred messages per second and sleeps a second whenever a queue is
 * empty, so its throughput runs move at most {@value #SQL_MESSAGES} messages (the line's {@code messages}
 * says how many; {@code msgs_per_s} stays comparable). Its queue rows ({@code kombu_queue} named
 * {@code bench.*}, which Kombu's queue delete leaves behind: it only purges) are removed after each run.
 *
 * <p>The scripts have no concurrent publish+consume test. For {@link Scenario#ROUNDTRIP} on {@code memory://} (an
 * in-process transport: one Python process, whose threads share one interpreter lock) the figure is derived from
 * the script's {@code publish} and {@code consume_ack} of the same N in one process:
 * N / (publish seconds + consume_ack seconds), marked with {@code derived_from}. On a real broker a two-process
 * Python measurement would be the fair peer, and none exists, so none is reported.
 */
final class PythonKombuPeer implements Peer {
    /** Environment variable naming the interpreter; Debian's is the one with kombu installed. */
    static final String PYTHON_ENV = "KOMBU4J_BENCH_PYTHON";
    /** The most messages a throughput run of Kombu's SQL transport moves (about 5 s each way here). */
    static final int SQL_MESSAGES = 1000;
    /** The most messages a latency run of Kombu on SQL publishes; see {@link #latencyMessages}. */
    static final int SQL_LATENCY_MESSAGES = 600;

    private final Path dir;
    private final String python;

    PythonKombuPeer(Path dir) {
        this.dir = dir;
        String env = System.getenv(PYTHON_ENV);
        this.python = env != null && !env.isBlank() ? env : "/usr/bin/python3";
    }

    @Override
    public String name() {
        return "kombu-py";
    }

    @Override
    public boolean supports(Scenario scenario, String url) {
        String peerUrl = peerUrl(url);
        if (scenario == Scenario.ROUNDTRIP) {
            return peerUrl != null && peerUrl.startsWith("memory:");
        }
        if (peerUrl == null || scenario.peerTest() == null) {
            return false;
        }
        if (scenario == Scenario.LATENCY) {
            return !peerUrl.startsWith("memory:");
        }
        return true;
    }

    /** The URL the scripts get for {@code url}, or null if they cannot measure it. */
    static @Nullable String peerUrl(String url) {
        if (SqlTarget.isSql(url)) {
            return sqlPeerUrl(url);
        }
        BrokerUrl u;
        try {
            u = BrokerUrl.parse(url.split(";")[0]);
        } catch (RuntimeException e) {
            return null;
        }
        switch (u.scheme()) {
            case "memory":
                return "memory://";
            case "redis":
                // The scripts clean up through a fixed client: 127.0.0.1:6379, db 10.
                String host = u.host().isEmpty() ? "127.0.0.1" : u.host();
                boolean local = host.equals("127.0.0.1") || host.equals("localhost");
                boolean defaultPort = u.port(6379) == 6379;
                return local && defaultPort ? "redis://127.0.0.1:6379/10" : null;
            case "amqp":
            case "pyamqp":
                // kombu4j's transport options (confirm_publish=false|async, ...) are not py-amqp's: the
                // script publishes without confirms whatever kombu4j does.
                return url.split(";")[0].split("\\?")[0].replaceFirst("^pyamqp:", "amqp:");
            default:
                return null;
        }
    }

    /**
     * The SQLAlchemy URL of a kombu4j SQL URL: {@code sqla+} in front, no query string (kombu4j's transport options
     * would reach the database driver), {@code postgres} spelled {@code postgresql} (SQLAlchemy 1.4 dropped the
     * alias), MySQL/MariaDB through PyMySQL unless a driver is named (the default MySQLdb is not installed), and
     * SQLite always as an absolute file (SQLAlchemy's bare {@code sqlite://} is an in-memory database; kombu4j's is
     * its default file).
     */
    static @Nullable String sqlPeerUrl(String url) {
        SqlTarget t;
        try {
            t = SqlTarget.parse(url);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (t.dialect().equals(SqlTarget.SQLITE)) {
            return "sqla+sqlite:///" + t.database();
        }
        String u = url.split(";")[0].split("\\?")[0];
        int sep = u.indexOf("://");
        String scheme = u.substring(0, sep).toLowerCase(Locale.ROOT).replaceFirst("^(sqla|sqlalchemy)\\+", "");
        String rest = u.substring(sep);
        String driver = scheme.contains("+") ? scheme.substring(scheme.indexOf('+')) : "";
        String dialect = t.dialect().equals(SqlTarget.POSTGRESQL) ? "postgresql" : scheme.startsWith("mariadb") ? "mariadb" : "mysql";
        if (t.dialect().equals(SqlTarget.MARIADB) && driver.isEmpty()) {
            driver = "+pymysql";
        }
        return "sqla+" + dialect + driver + rest;
    }

    @Override
    public List<Measurement> run(Scenario scenario, Settings s, int round, Deadline deadline, PrintStream err) {
        String url = java.util.Objects.requireNonNull(peerUrl(s.url()));
        boolean sql = SqlTarget.isSql(s.url());
        PgStatementCounter counter = null;
        try {
            if (scenario == Scenario.IDLE && KombuTimeBound.isPostgres(s.url())) {
                // As for kombu4j: the consumer's statements in the window, counted by a proxy in front of PostgreSQL.
                counter = PgStatementCounter.start(s.url());
                url = counter.proxiedUrl(url);
            }
            List<Measurement> out = runScript(url, sql, scenario, s, round, deadline, err);
            if (counter != null) {
                for (Measurement m : out) {
                    if (m.get("window_start_ms") instanceof Long from && m.get("window_end_ms") instanceof Long to) {
                        counter.report(m, counter.betweenEpochMillis(from, to), (to - from) / 1e3);
                    }
                }
            }
            return out;
        } catch (IOException e) {
            return List.of(failed(scenario, s, round).error("cannot start the statement-counting proxy: " + e.getMessage()));
        } finally {
            if (counter != null) {
                counter.close();
            }
            if (sql) {
                SqlPeerCleanup.kombuQueueRows(s.url(), err);
            }
        }
    }

    private List<Measurement> runScript(String url, boolean sql, Scenario scenario, Settings s, int round,
            Deadline deadline, PrintStream err) {
        int messages = sql ? Math.min(s.messages(), SQL_MESSAGES) : s.messages();
        long budget = Math.max(5, deadline.remaining().toSeconds() - 5);
        List<String> cmd = new ArrayList<>();
        cmd.add(python);
        switch (scenario) {
            case PUBLISH:
            case CONSUME_ACK:
            case CONSUME_NOACK:
            case ROUNDTRIP:
                cmd.add(script("kombu_throughput.py"));
                String tests = scenario == Scenario.PUBLISH ? "publish"
                        : scenario == Scenario.ROUNDTRIP ? "publish,consume_ack" : "publish," + scenario.peerTest();
                cmd.addAll(List.of("--url", url, "--msgs", Integer.toString(messages), "--body-bytes",
                        Integer.toString(s.bodyBytes()), "--prefetch", Integer.toString(s.prefetch()), "--deadline",
                        Long.toString(budget), "--tests", tests));
                break;
            case LATENCY:
                cmd.add(script("kombu_latency.py"));
                cmd.addAll(List.of("--url", url, "--queues", Integer.toString(s.queues()), "--spread", "rr", "--mode",
                        "drain", "--msgs", Integer.toString(latencyMessages(s)), "--rate", Double.toString(s.rate()),
                        "--deadline", Long.toString(budget)));
                break;
            case IDLE:
                cmd.add(script("kombu_idle.py"));
                cmd.addAll(List.of("--url", url, "--queues", Integer.toString(s.queues()), "--mode", "drain",
                        "--seconds", Double.toString(s.seconds()), "--warmup",
                        Double.toString(Math.min(2.0, s.seconds() / 5))));
                break;
            default:
                throw new IllegalArgumentException(name() + " has no " + scenario.cliName() + " scenario");
        }
        List<Measurement> out = new ArrayList<>();
        try {
            PeerProcess.Outcome o = PeerProcess.run(cmd, deadline, err, name());
            if (scenario == Scenario.ROUNDTRIP) {
                Measurement derived = roundtrip(o.lines(), s, round);
                if (derived != null) {
                    out.add(derived);
                }
            } else {
                for (Map<String, Object> line : o.lines()) {
                    if (java.util.Objects.equals(scenario.peerTest(), line.get("test"))) {
                        out.add(normalize(line, scenario, s, round));
                    }
                }
            }
            if (o.timedOut() || o.exitCode() != 0 || out.isEmpty()) {
                Measurement failed = out.isEmpty() ? failed(scenario, s, round) : out.get(out.size() - 1);
                failed.error(o.timedOut() ? "peer killed at the deadline of " + deadline.budget().toSeconds() + " s"
                        : "peer exited with " + o.exitCode() + (out.isEmpty() ? " and printed no " + peerLines(scenario) + " line" : ""));
                if (out.isEmpty()) {
                    out.add(failed);
                }
            }
        } catch (IOException e) {
            out.add(failed(scenario, s, round).error("cannot start " + python + ": " + e.getMessage()));
        }
        return out;
    }

    /**
     * Messages of a latency run: the setting, but at most {@value #SQL_LATENCY_MESSAGES} on SQL. Kombu's SQL
     * transport did not keep up with 200 msgs/s here: on SQLite its publisher (a commit with fsync per message,
     * against the consumer's lock) reached 35 msgs/s, on PostgreSQL under load its consumer 20–40 msgs/s, so 2,000
     * messages outlasted the deadline with a backlog of tens of seconds. Fewer messages make a shorter backlog: the
     * figure is then a lower bound of what a longer run sees. Its {@code msgs_per_s} is the rate it achieved.
     */
    static int latencyMessages(Settings s) {
        return SqlTarget.isSql(s.url()) ? Math.min(s.latencyMessages(), SQL_LATENCY_MESSAGES) : s.latencyMessages();
    }

    private static String peerLines(Scenario scenario) {
        return scenario == Scenario.ROUNDTRIP ? "publish and consume_ack" : String.valueOf(scenario.peerTest());
    }

    /**
     * {@link Scenario#ROUNDTRIP} from the script's sequential {@code publish} and {@code consume_ack} lines:
     * N / (publish s + consume_ack s), CPU summed; null unless both lines are there.
     */
    @Nullable Measurement roundtrip(List<Map<String, Object>> lines, Settings s, int round) {
        Map<String, Object> pub = null;
        Map<String, Object> ack = null;
        for (Map<String, Object> line : lines) {
            if ("publish".equals(line.get("test"))) {
                pub = line;
            } else if ("consume_ack".equals(line.get("test"))) {
                ack = line;
            }
        }
        if (pub == null || ack == null || !(pub.get("seconds") instanceof Number ps)
                || !(ack.get("seconds") instanceof Number cs) || !(ack.get("msgs") instanceof Number msgs)) {
            return null;
        }
        Measurement m = new Measurement(String.valueOf(ack.getOrDefault("system", name())),
                String.valueOf(ack.getOrDefault("transport", "?")), Scenario.ROUNDTRIP.cliName());
        m.put("round", round).put("body_bytes", ack.getOrDefault("body_bytes", s.bodyBytes())).put("queues", 1);
        m.put("kombu", ack.get("kombu"));
        double seconds = ps.doubleValue() + cs.doubleValue();
        long n = msgs.longValue();
        Object received = ack.get("received");
        long got = received instanceof Number ? ((Number) received).longValue() : 0;
        m.put("messages", n).put("received", got).put("seconds", seconds);
        m.put("msgs_per_s", seconds > 0 ? got / seconds : 0.0);
        Double cpu = sum(pub.get("cpu_s"), ack.get("cpu_s"));
        m.put("cpu_s", cpu);
        m.put("cpu_s_per_1k", cpu != null && got > 0 ? cpu / got * 1000 : null);
        m.put("connections", 1).put("prefetch", ack.getOrDefault("prefetch_count", s.prefetch()));
        m.put("missing", ack.get("missing")).put("duplicates", ack.get("duplicates"));
        m.put("publish_seconds", ps.doubleValue());
        m.put("derived_from", "publish then consume_ack in one process: N / (publish s + consume_ack s)");
        if (Boolean.FALSE.equals(ack.get("complete"))) {
            m.error("incomplete: " + got + " of " + n);
        }
        return m;
    }

    private String script(String name) {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("bench-peers script missing: " + p);
        }
        return p.toString();
    }

    private Measurement failed(Scenario scenario, Settings s, int round) {
        String transport = String.valueOf(PythonKombuPeer.peerUrl(s.url())).split(":")[0].toLowerCase(Locale.ROOT);
        return new Measurement(name(), transport.equals("amqp") ? "rabbitmq" : transport, scenario.cliName())
                .put("round", round);
    }

    /** A bench-peers line under kombu4j's field names (the script's own extra fields are dropped). */
    Measurement normalize(Map<String, Object> line, Scenario scenario, Settings s, int round) {
        Measurement m = new Measurement(String.valueOf(line.getOrDefault("system", name())),
                String.valueOf(line.getOrDefault("transport", "?")), scenario.cliName());
        m.put("round", round);
        m.put("body_bytes", line.getOrDefault("body_bytes", s.bodyBytes()));
        m.put("queues", line.getOrDefault("queues", 1));
        m.put("kombu", line.get("kombu"));
        switch (scenario) {
            case IDLE:
                m.put("messages", 0).put("msgs_per_s", 0.0).put("missing", 0).put("duplicates", 0);
                m.put("seconds", line.get("window_s")).put("cpu_s", line.get("consumer_cpu_s"));
                m.put("cpu_core_share", line.get("consumer_cpu_s_per_s"));
                if (line.get("window_start") instanceof Number ws && line.get("window_end") instanceof Number we) {
                    m.put("window_start_ms", Math.round(ws.doubleValue() * 1000));
                    m.put("window_end_ms", Math.round(we.doubleValue() * 1000));
                }
                m.put("connections", 1).put("prefetch", 100);
                break;
            case LATENCY:
                m.put("messages", line.get("msgs")).put("received", line.get("received"));
                m.put("seconds", line.get("consumer_wall_s")).put("msgs_per_s", line.get("rate_achieved"));
                Double cpu = sum(line.get("consumer_cpu_s"), line.get("producer_cpu_s"));
                m.put("cpu_s", cpu);
                Object received = line.get("received");
                if (cpu != null && received instanceof Number && ((Number) received).doubleValue() > 0) {
                    m.put("cpu_s_per_1k", cpu / ((Number) received).doubleValue() * 1000);
                }
                for (String f : List.of("p50_ms", "p90_ms", "p99_ms", "max_ms")) {
                    m.put(f, line.get(f));
                }
                m.put("connections", 2).put("prefetch", 100).put("rate", line.get("rate_target"));
                m.put("missing", line.get("missing")).put("duplicates", null);
                m.put("latency_of", "end_to_end");
                break;
            default:
                m.put("messages", line.get("msgs")).put("seconds", line.get("seconds"));
                m.put("msgs_per_s", line.get("msgs_per_s")).put("cpu_s", line.get("cpu_s"));
                m.put("cpu_s_per_1k", line.get("cpu_s_per_1k")).put("connections", 1);
                if (scenario == Scenario.PUBLISH) {
                    Object queued = line.get("queued");
                    Object msgs = line.get("msgs");
                    if (queued instanceof Number && msgs instanceof Number) {
                        long q = ((Number) queued).longValue();
                        long n = ((Number) msgs).longValue();
                        m.put("missing", Math.max(0, n - q)).put("duplicates", Math.max(0, q - n));
                    }
                    m.put("seconds_until_queued", line.get("seconds_until_queued"));
                } else {
                    m.put("prefetch", line.getOrDefault("prefetch_count", s.prefetch()));
                    m.put("received", line.get("received"));
                    m.put("missing", line.get("missing")).put("duplicates", line.get("duplicates"));
                    if (Boolean.FALSE.equals(line.get("complete"))) {
                        m.error("incomplete: " + line.get("received") + " of " + line.get("msgs"));
                    }
                }
        }
        return m;
    }

    private static @Nullable Double sum(@Nullable Object a, @Nullable Object b) {
        if (a instanceof Number && b instanceof Number) {
            return ((Number) a).doubleValue() + ((Number) b).doubleValue();
        }
        return null;
    }
}
