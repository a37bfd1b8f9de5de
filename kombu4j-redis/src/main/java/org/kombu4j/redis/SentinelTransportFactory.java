package org.kombu4j.redis;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.kombu4j.BrokerUrl;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportFactory;

/**
 * Registers {@code sentinel://} (Kombu's {@code SentinelTransport}): the Redis transport, with its master found
 * through Redis Sentinel. URL form, as in Kombu: {@code sentinel://[user:password@]h1:26379[/db];sentinel://h2:26379;...?master_name=m},
 * the whole {@code ;} list being one transport (see {@link SentinelConfig}, {@link SentinelResolver}).
 */
public final class SentinelTransportFactory implements TransportFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("sentinel");
    }

    @Override
    public boolean joinsUrlList() {
        return true;
    }

    @Override
    public Transport create(BrokerUrl url) {
        return create(List.of(url));
    }

    @Override
    public Transport create(List<BrokerUrl> urls) {
        SentinelConfig config = SentinelConfig.parse(urls);
        Ticker ticker = Ticker.system();
        return new RedisTransport(config.display(), config.redisUrl(), new SentinelResolver(config, ticker),
                Clock.systemUTC(), ticker);
    }
}
