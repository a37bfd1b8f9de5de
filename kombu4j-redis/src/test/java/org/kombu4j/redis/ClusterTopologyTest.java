package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kombu4j.OperationalException;

/** Parsing CLUSTER SLOTS replies and recognising cluster redirections. */
class ClusterTopologyTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void slotRangesMapToTheirMasterAndAnEmptyHostIsTheSeed() {
        Object reply = List.of(
                List.of(5461L, 10922L, List.of(b("10.0.0.2"), 7001L, b("id2")), List.of(b("10.0.0.5"), 7004L, b("id5"))),
                List.of(0L, 5460L, List.of(b(""), 7000L, b("id1"))));
        ClusterTopology t = ClusterTopology.parse(reply, "seed.local");
        assertThat(t.ranges()).extracting(ClusterTopology.Range::start).containsExactly(0, 5461);
        assertThat(t.masterFor(0)).isEqualTo(new ClusterTopology.Node("seed.local", 7000));
        assertThat(t.masterFor(6519)).isEqualTo(new ClusterTopology.Node("10.0.0.2", 7001));
        assertThat(t.ranges().get(1).replicas()).containsExactly(new ClusterTopology.Node("10.0.0.5", 7004));
        assertThat(t.masterFor(16000)).as("an uncovered slot").isNull();
    }

    @Test
    void redirectionsAreRecognisedInErrorsAndExceptions() {
        assertThat(RedisCluster.isRedirect("MOVED 6519 127.0.0.1:7001")).isTrue();
        assertThat(RedisCluster.isRedirect("ASK 6519 127.0.0.1:7001")).isTrue();
        assertThat(RedisCluster.isRedirect("CLUSTERDOWN The cluster is down")).isTrue();
        assertThat(RedisCluster.isRedirect("READONLY You can't write against a read only replica.")).isTrue();
        assertThat(RedisCluster.isRedirect("WRONGTYPE Operation against a key holding the wrong kind of value")).isFalse();
        assertThat(RedisCluster.isRedirect(new OperationalException("Redis refused LPUSH: MOVED 6519 127.0.0.1:7001"))).isTrue();
        assertThat(RedisCluster.isRedirect(new OperationalException("Redis connection to redis://h:1/0: connect failed: Connection refused")))
                .isFalse();
    }
}
