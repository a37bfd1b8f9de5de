package org.kombu4j.redis;

import java.util.Set;
import org.kombu4j.BrokerUrl;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportFactory;

/**
 * Registers {@code redis+cluster://} with {@link java.util.ServiceLoader}: a Redis Cluster reached through
 * one of its nodes ({@code redis+cluster://[user:password@]host:port[?options]}); several seed nodes are
 * given as a failover list, {@code redis+cluster://h1:7000;redis+cluster://h2:7001}. Options: those of
 * {@code redis://} plus {@code layout} ({@code namespace}, the default, or {@code queue}: see
 * {@link ClusterQueueTransport}), {@code key_tag}, {@code wait_replicas}, {@code wait_timeout} (see {@link RedisCluster}).
 */
public final class RedisClusterTransportFactory implements TransportFactory {
    @Override
    public Set<String> schemes() {
        return Set.of(RedisCluster.SCHEME);
    }

    @Override
    public Transport create(BrokerUrl url) {
        return RedisCluster.transport(url);
    }
}
