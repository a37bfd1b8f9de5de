package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Ticker;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;

/**
 * A Redis Cluster's slot map as one node reports it ({@code CLUSTER SLOTS}): which master serves each
 * slot range, and its replicas. Read afresh on every connect, so a promoted replica or a moved slot is
 * found by the next connection after a {@code MOVED}, a lost node or a {@code CLUSTERDOWN}.
 *
 * @param ranges the slot ranges the node reported, each with its master first
 */
record ClusterTopology(List<Range> ranges) {
    /** One node's address. */
    record Node(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /** Slots {@code start..end} (inclusive), served by {@code master}, copied to {@code replicas}. */
    record Range(int start, int end, Node master, List<Node> replicas) {
    }

    ClusterTopology {
        ranges = List.copyOf(ranges);
    }

    /** The master serving {@code slot}, or null if no node does (the cluster is incomplete). */
    @Nullable Node masterFor(int slot) {
        for (Range r : ranges) {
            if (slot >= r.start() && slot <= r.end()) {
                return r.master();
            }
        }
        return null;
    }

    /**
     * Asks the node at {@code seed} for the slot map.
     *
     * @throws OperationalException if the seed is unreachable or answers with an error
     * @throws ConfigurationException if the seed is not in cluster mode (a plain Redis under a cluster URL)
     */
    static ClusterTopology discover(RedisEndpoint seed, Ticker ticker) {
        RedisConnection c = RedisConnection.open(seed, ticker, true, "kombu4j-topology");
        try {
            Object reply = c.call(List.of("CLUSTER", "SLOTS"));
            if (reply instanceof RespError err) {
                if (err.message().contains("cluster support disabled")) {
                    throw new ConfigurationException("Redis at " + seed + " is not in cluster mode (cluster-enabled no): "
                            + "use redis:// for a single server");
                }
                throw new OperationalException("Redis at " + seed + " refused CLUSTER SLOTS: " + err.message());
            }
            return parse(reply, seed.host());
        } finally {
            c.close();
        }
    }

    /**
     * Parses a {@code CLUSTER SLOTS} reply: {@code [[start, end, [host, port, id, ...], [replica...]...]...]};
     * an empty host means "the address you reached me at" ({@code seedHost}).
     */
    static ClusterTopology parse(@Nullable Object reply, String seedHost) {
        List<Range> ranges = new ArrayList<>();
        for (Object o : Resp.array(reply)) {
            List<Object> r = Resp.array(o);
            int start = (int) Resp.integer(r.get(0));
            int end = (int) Resp.integer(r.get(1));
            List<Node> nodes = new ArrayList<>();
            for (int i = 2; i < r.size(); i++) {
                List<Object> n = Resp.array(r.get(i));
                String host = Resp.text(n.get(0));
                nodes.add(new Node(host.isEmpty() || host.equals("?") ? seedHost : host, (int) Resp.integer(n.get(1))));
            }
            if (!nodes.isEmpty()) {
                ranges.add(new Range(start, end, nodes.get(0), nodes.subList(1, nodes.size())));
            }
        }
        ranges.sort((a, b) -> Integer.compare(a.start(), b.start()));
        return new ClusterTopology(ranges);
    }
}
