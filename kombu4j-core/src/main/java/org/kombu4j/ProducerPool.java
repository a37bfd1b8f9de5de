package org.kombu4j;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * A bounded pool of producers over a {@link ConnectionPool}, Kombu's {@code producers[...]}: each
 * lease holds one pooled connection and a producer made on it. Thread-safe.
 */
public final class ProducerPool implements AutoCloseable {
    private final ConnectionPool connections;
    private final Function<Connection, Producer> factory;

    /** Producers made by {@code factory} (e.g. {@code c -> c.producer(exchange)}). */
    public ProducerPool(ConnectionPool connections, Function<Connection, Producer> factory) {
        this.connections = Objects.requireNonNull(connections, "connections");
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    /** Producers on the default exchange. */
    public ProducerPool(ConnectionPool connections) {
        this(connections, Connection::producer);
    }

    /** One borrowed producer; closing the lease returns its connection. */
    public static final class Lease implements AutoCloseable {
        private final ConnectionPool.Lease connection;
        private final Producer producer;

        private Lease(ConnectionPool.Lease connection, Producer producer) {
            this.connection = connection;
            this.producer = producer;
        }

        public Producer producer() {
            return producer;
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    /**
     * Borrows a producer, waiting up to {@code timeout}.
     *
     * @throws PoolTimeoutException if no connection is free in time
     */
    public Lease acquire(Duration timeout) {
        ConnectionPool.Lease lease = connections.acquire(timeout);
        try {
            return new Lease(lease, factory.apply(lease.connection()));
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    @Override
    public void close() {
        connections.close();
    }
}
