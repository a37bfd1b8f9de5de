package org.kombu4j.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Which peers run beside kombu4j for a URL, and where the bench-peers scripts are: the directory
 * in {@code KOMBU4J_BENCH_PEERS}, else the first {@code shared/bench-peers} found walking up from
 * the working directory (the repository's sibling {@code ../shared/bench-peers}).
 */
public final class Peers {
    /** The environment variable naming the bench-peers directory. */
    public static final String PEERS_ENV = "KOMBU4J_BENCH_PEERS";

    private Peers() {
    }

    /**
     * The peers for {@code url}: on amqp:// the RabbitMQ Java client used directly ({@link RawAmqpPeer},
     * in this process); on the SQL schemes JDBC used directly ({@link JdbcRawPeer}, in this process); Python Kombu wherever its scripts are found. Transport modules add their
     * raw-client peers here (redis:// → {@code redis_raw.py}, Lettuce).
     */
    public static List<Peer> forUrl(String url, PrintStream err) {
        List<Peer> peers = new ArrayList<>();
        RawAmqpPeer raw = new RawAmqpPeer();
        if (raw.supports(Scenario.PUBLISH, url)) {
            peers.add(raw);
        }
        JdbcRawPeer jdbc = new JdbcRawPeer();
        if (jdbc.supports(Scenario.PUBLISH, url)) {
            peers.add(jdbc);
        }
        Optional<Path> dir = locate(System.getenv(PEERS_ENV), Path.of("").toAbsolutePath());
        if (dir.isPresent()) {
            peers.add(new PythonKombuPeer(dir.get()));
            if (RedisRawPeer.isLocalRedis(url)) {
                peers.add(new RedisRawPeer(dir.get()));
            }
        } else {
            err.println("[bench] bench-peers not found (set " + PEERS_ENV
                    + " or keep shared/bench-peers beside the repository): running kombu4j alone");
        }
        // Python Celery's module is in this jar: no bench-peers directory needed.
        if (PythonCeleryPeer.isCeleryBroker(url)) {
            peers.add(new PythonCeleryPeer());
        }
        LettucePeer lettuce = new LettucePeer();
        if (lettuce.supports(Scenario.PUBLISH, url)) {
            peers.add(lettuce);
        }
        return peers;
    }

    /** The bench-peers directory: {@code explicit} if given, else {@code shared/bench-peers} above {@code from}. */
    static Optional<Path> locate(@Nullable String explicit, Path from) {
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
        }
        for (Path dir = from; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("bench-peers");
            if (Files.isRegularFile(candidate.resolve("kombu_throughput.py"))) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
