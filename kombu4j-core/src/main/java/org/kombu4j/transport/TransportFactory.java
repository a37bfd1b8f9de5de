package org.kombu4j.transport;

import java.util.List;
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

    /**
     * Whether a {@code ;}-separated list of this scheme's URLs names one service through several
     * addresses (Redis Sentinel: {@code sentinel://h1:26379;sentinel://h2:26379}) rather than failover
     * alternatives; then {@link org.kombu4j.Connection} makes one transport of the whole list with
     * {@link #create(List)}. False by default.
     */
    default boolean joinsUrlList() {
        return false;
    }

    /**
     * Creates one transport for every URL of the list, when {@link #joinsUrlList()}; it must not connect yet.
     *
     * @throws UnsupportedOperationException unless overridden
     */
    default Transport create(List<BrokerUrl> urls) {
        throw new UnsupportedOperationException(getClass().getName() + " takes one URL at a time");
    }
}
