package org.kombu4j.transport.memory;

import java.util.Set;
import org.kombu4j.BrokerUrl;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportFactory;

/** Registers {@code memory://}. */
public final class MemoryTransportFactory implements TransportFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("memory");
    }

    @Override
    public Transport create(BrokerUrl url) {
        return new MemoryTransport(url);
    }
}
