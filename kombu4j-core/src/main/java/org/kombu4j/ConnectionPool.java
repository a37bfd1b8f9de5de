package org.kombu4j;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A bounded pool of connections, Kombu's {@code connections[...]}: at most {@code limit} exist; an
 * acquire waits for one to come back up to its timeout and then fails with
 * {@link PoolTimeoutException}. Connections are made lazily. Thread-safe.
 *
 * <pre>{@code
 * try (ConnectionPool.Lease lease = pool.acquire(Duration.ofSeconds(1))) {
 *     lease.connection().producer().publish("hi", "q");
 * }
 * }</pre>
 */
public final class ConnectionPool implements AutoCloseable {
    private final Supplier<Connection> factory;
    private final int limit;
    private final Semaphore permits;
    private final Deque<Connection> idle = new ArrayDeque<>();
    private final List<Connection> all = new ArrayList<>();
    private boolean closed;

    public ConnectionPool(Supplier<Connection> factory, int limit) {
        this.factory = Objects.requireNonNull(factory, "factory");
        if (limit < 1) {
            throw new ConfigurationException("pool limit must be >= 1, got " + limit);
        }
        this.limit = limit;
        this.permits = new Semaphore(limit, true);
    }

    /** A pool of connections to {@code url}. */
    public static ConnectionPool of(String url, int limit) {
        Connection.builder(url).build().close();
        return new ConnectionPool(() -> Connection.open(url), limit);
    }

    /** One borrowed connection; closing the lease returns it. */
    public final class Lease implements AutoCloseable {
        private final Connection connection;
        private boolean released;

        private Lease(Connection connection) {
            this.connection = connection;
        }

        public Connection connection() {
            if (released) {
                throw new ClosedException("lease already released");
            }
            return connection;
        }

        /** Returns the connection to the pool (or discards it if broken). Idempotent. */
        @Override
        public void close() {
            if (released) {
                return;
            }
            released = true;
            release(connection);
        }
    }

    /**
     * Borrows a connection, waiting up to {@code timeout} for one to be free.
     *
     * @throws PoolTimeoutException if none is free in time
     */
    public Lease acquire(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        synchronized (this) {
            if (closed) {
                throw new ClosedException("connection pool is closed");
            }
        }
        try {
            if (!permits.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new PoolTimeoutException("no connection free in the pool of " + limit + " within " + timeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting for a pooled connection", e);
        }
        Connection c;
        synchronized (this) {
            c = idle.pollFirst();
            if (c == null) {
                try {
                    c = factory.get();
                } catch (RuntimeException e) {
                    permits.release();
                    throw e;
                }
                all.add(c);
            }
        }
        return new Lease(c);
    }

    private void release(Connection c) {
        synchronized (this) {
            if (closed || c.isClosed()) {
                all.remove(c);
                if (closed) {
                    c.close();
                }
            } else {
                idle.addFirst(c);
            }
        }
        permits.release();
    }

    public int limit() {
        return limit;
    }

    /** Connections not currently lent out. */
    public int available() {
        return permits.availablePermits();
    }

    /** Closes every idle connection now and each lent one when it comes back. */
    @Override
    public void close() {
        List<Connection> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(idle);
            idle.clear();
            all.removeAll(toClose);
        }
        for (Connection c : toClose) {
            c.close();
        }
    }
}
