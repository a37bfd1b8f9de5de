package org.kombu4j.redis;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.kombu4j.testkit.TransportContract;
import org.kombu4j.testkit.brokers.PrivateRedisCluster;

/**
 * The conformance suite on a private Redis Cluster of 3 masters with a replica each, through
 * {@code redis+cluster://...?layout=queue}: every queue in its own namespace, so a test's queues
 * (random names) sit on different masters.
 */
class RedisClusterQueueLayoutContractTest extends TransportContract {
    private static PrivateRedisCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new PrivateRedisCluster(3, 1);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected String url() {
        return cluster.url("?layout=queue");
    }
}
