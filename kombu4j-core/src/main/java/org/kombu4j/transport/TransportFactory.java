package org.kombu4j.transport;

import java.util.Set;
import org.kombu4j.BrokerUrl;

/**
 * The service a transport module registers in
 * {@code META-INF/services/org.kombu4j.transport.TransportFactory}; {@link org.kombu4j.Connection}
 * finds it by URL scheme through {@link java.util.ServiceLoader}.
 */
public interface TransportFactory {
    /** URL schemes served, lower case, e.g. {@code redis}, {@code rediss}. */
    Set<String> schemes();

    /** Creates a transport for one connection; it must not connect yet (connections are lazy). */
    Transport create(BrokerUrl url);
}
