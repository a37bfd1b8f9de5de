package org.kombu4j.amqp;

import java.util.Set;
import org.kombu4j.BrokerUrl;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportFactory;

/**
 * Registers {@code amqp://}, {@code amqps://} (TLS) and {@code pyamqp://} (Kombu's name for the same
 * transport). The URL's options are checked here, before any connection is made.
 */
public final class AmqpTransportFactory implements TransportFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("amqp", "amqps", "pyamqp");
    }

    @Override
    public Transport create(BrokerUrl url) {
        return new AmqpTransport(url, AmqpOptions.from(url));
    }
}
