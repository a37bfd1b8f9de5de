package org.kombu4j.redis;

import java.util.Set;
import org.kombu4j.BrokerUrl;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportFactory;

/**
 * Registers {@code redis://} and {@code rediss://} (TLS) with {@link java.util.ServiceLoader}. URL
 * form: {@code redis[s]://[user:password@]host[:port][/db][?options]}, options as {@link RedisOptions};
 * the TLS options of {@code rediss://} are described in {@link RedisTransport}.
 */
public final class RedisTransportFactory implements TransportFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss");
    }

    @Override
    public Transport create(BrokerUrl url) {
        return new RedisTransport(url);
    }
}
