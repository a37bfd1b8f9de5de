package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.RetryPolicy;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.testkit.brokers.PrivateRedisCluster;

/** Bad cluster URLs and a cluster that is down: one clear error each, promptly. */
class RedisClusterBadInputTest {
    private static final RetryPolicy ONCE = RetryPolicy.builder().maxRetries(0).build();

    @Test
    void aClusterThatIsDownIsOneClearErrorWithoutAHang() throws Exception {
        int a;
        int b;
        try (ServerSocket s1 = new ServerSocket(0); ServerSocket s2 = new ServerSocket(0)) {
            a = s1.getLocalPort();
            b = s2.getLocalPort();
        }
        long t0 = System.nanoTime();
        try (Connection c = Connection.open("redis+cluster://127.0.0.1:" + a + ";redis+cluster://127.0.0.1:" + b)) {
            assertThatThrownBy(() -> c.ensureConnection(ONCE)).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("Redis Cluster node").hasMessageContaining("unreachable");
        }
        try (Connection c = Connection.open("redis+cluster://127.0.0.1:" + a + "?layout=queue")) {
            assertThatThrownBy(() -> c.ensureConnection(ONCE)).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("Redis Cluster node").hasMessageContaining("unreachable");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aClusterWhoseMastersAreDeadSaysSo() throws Exception {
        try (PrivateRedisCluster cluster = new PrivateRedisCluster(3, 0)) {
            int slot = ClusterSlots.slot("{kombu4j}");
            int master = cluster.masterOf(slot);
            String url = cluster.url("?socket_connect_timeout=1");
            cluster.kill(master); // no replica: the slot stays unserved
            long t0 = System.nanoTime();
            try (Connection c = Connection.open(url)) {
                assertThatThrownBy(() -> c.ensureConnection(ONCE)).isInstanceOf(OperationalException.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            // Every seed still alive names the dead master as the slot's owner: the error says what it means.
            try (Connection c = Connection.open(url)) {
                assertThatThrownBy(() -> c.ensureConnection(ONCE)).isInstanceOf(OperationalException.class)
                        .hasMessageContaining("Redis Cluster master 127.0.0.1:" + master + " serving slot " + slot)
                        .hasMessageContaining("the cluster is down or failing over");
            }
        }
    }

    @Test
    void aPlainRedisUnderAClusterUrlIsAConfigurationError() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            try (Connection c = Connection.open("redis+cluster://127.0.0.1:" + redis.port())) {
                assertThatThrownBy(() -> c.ensureConnection(ONCE)).isInstanceOf(ConfigurationException.class)
                        .hasMessageContaining("not in cluster mode");
            }
        }
    }

    @Test
    void badOptionsAreRefusedByName() {
        assertThatThrownBy(() -> Connection.open("redis+cluster://127.0.0.1:7000/3").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("only database 0");
        assertThatThrownBy(() -> Connection.open("redis+cluster://127.0.0.1:7000?key_tag=a}b").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("key_tag");
        assertThatThrownBy(() -> Connection.open("redis+cluster://127.0.0.1:7000?wait_replicas=1&publish_pipeline=8").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("wait_replicas");
        assertThatThrownBy(() -> Connection.open("redis+cluster://127.0.0.1:7000?no_such=1").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("no_such");
        assertThatThrownBy(() -> Connection.open("redis+cluster://127.0.0.1:7000?layout=shard").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("layout");
        assertThatThrownBy(() -> Connection.open("redis+cluster://127.0.0.1:7000?layout=queue&key_tag=x").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("key_tag is for layout=namespace");
        assertThatThrownBy(() -> Connection.open("redis://127.0.0.1:7000?key_tag=x").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("key_tag");
    }
}
