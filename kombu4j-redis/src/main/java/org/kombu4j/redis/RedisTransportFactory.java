package org.kombu4j.redis;

import java.util.Set;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportFactory;

/**
 * Registers {@code redis://} (and names {@code rediss://}, refused until TLS is implemented) with
 * {@link java.util.ServiceLoader}. URL form: {@code redis://[user:password@]host[:port][/db][?options]},
 * options as {@link RedisOptions}.
 */
public final class RedisTransportFactory implements TransportFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss");
    }

    @Override
    public Transport create(BrokerUrl url) {
        if (url.scheme().equals("rediss")) {
            throw new ConfigurationException("rediss:// not supported yet (TLS to Redis is not implemented); use redis:// "
                    + "or a TLS tunnel, URL " + url.masked());
        }
        return new RedisTransport(url);
    }
}
