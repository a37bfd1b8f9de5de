package org.kombu4j.transport.memory;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ClosedException;
import org.kombu4j.ExchangeType;
import org.kombu4j.hub.Hub;
import org.kombu4j.transport.PriorityOrder;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportCapabilities;
import org.kombu4j.transport.TransportChannel;

/**
 * The {@code memory://} transport: an in-process broker for tests, demos and single-JVM pipelines.
 * Connections with the same virtual host ({@code memory://} alone means the default one) share
 * queues. Consumers wake when a message arrives — through a condition for
 * {@link #drainEvents}, through {@link Hub#callSoon} on an event loop — and never poll.
 * Messages do not survive the JVM.
 */
public final class MemoryTransport implements Transport {
    /** Deliveries per drain before giving other work on the thread a turn. */
    private static final int BATCH = 1024;
    /** How long a drain spins for a put before it blocks; see {@link #spinUntilPending}. */
    private static final long SPIN_NANOS = 5_000;
    private static final boolean MULTI_CORE = Runtime.getRuntime().availableProcessors() > 1;

    static final TransportCapabilities CAPABILITIES = TransportCapabilities.builder(
            EnumSet.allOf(ExchangeType.class)).priorityOrder(PriorityOrder.HIGHER_FIRST).priorityNeedsMaxPriority(true)
            .canListQueues(true).build();

    private final BrokerUrl url;
    private final MemoryBroker broker;
    private final List<MemoryChannel> channels = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final AtomicBoolean hubScheduled = new AtomicBoolean();
    private final Runnable watcher = this::signal;
    private volatile boolean pending;
    private volatile boolean waiting;
    private volatile boolean connected;
    private volatile boolean closed;
    private volatile @Nullable Hub hub;

    MemoryTransport(BrokerUrl url) {
        this.url = url;
        String vhost = url.virtualHost() == null ? "" : url.virtualHost();
        this.broker = MemoryBroker.forVirtualHost(url.host() + "/" + vhost);
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public BrokerUrl url() {
        return url;
    }

    @Override
    public TransportCapabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public void connect() {
        if (closed) {
            throw new ClosedException("memory transport is closed");
        }
        connected = true;
    }

    @Override
    public boolean isConnected() {
        return connected && !closed;
    }

    @Override
    public TransportChannel createChannel() {
        connect();
        MemoryChannel ch = new MemoryChannel(this, broker);
        channels.add(ch);
        return ch;
    }

    void watch(MemoryQueue q) {
        q.watchers.add(watcher);
        signal();
    }

    void unwatch(MemoryQueue q, MemoryChannel leaving) {
        String name = q.definition.name();
        for (MemoryChannel ch : channels) {
            if (ch != leaving && ch.isOpen() && ch.consumes(name)) {
                return;
            }
        }
        q.watchers.remove(watcher);
    }

    void channelClosed(MemoryChannel ch) {
        channels.remove(ch);
    }

    /** Something may be deliverable: wake whoever delivers for this connection. */
    void signal() {
        Hub h = hub;
        if (h != null) {
            if (hubScheduled.compareAndSet(false, true) && !h.isClosed()) {
                h.callSoon(this::deliverOnHub);
            }
            return;
        }
        // Volatile pending/waiting pair: a drainer sets waiting before it re-checks pending, so
        // either it sees this put or we see it waiting; the lock is taken only when someone waits.
        pending = true;
        if (waiting) {
            lock.lock();
            try {
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void deliverOnHub() {
        hubScheduled.set(false);
        if (closed) {
            return;
        }
        boolean more = true; // until deliverAll returns: a handler that threw leaves the others' messages waiting
        try {
            more = deliverAll() >= BATCH;
        } finally {
            if (more) {
                signal();
            }
        }
    }

    private int deliverAll() {
        int n = 0;
        for (MemoryChannel ch : channels) {
            if (ch.wantsMessages()) {
                n += ch.deliverAvailable(BATCH);
            }
        }
        return n;
    }

    @Override
    public boolean drainEvents(Duration timeout) {
        if (closed) {
            throw new ClosedException("memory transport is closed");
        }
        if (hub != null) {
            throw new IllegalStateException("this connection is registered with a Hub: its deliveries run on the hub thread, drainEvents cannot be used");
        }
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            pending = false;
            if (deliverAll() > 0) {
                return true;
            }
            if (spinUntilPending(deadline)) {
                continue;
            }
            lock.lock();
            waiting = true;
            try {
                while (!pending && !closed) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        arrived.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new org.kombu4j.OperationalException("interrupted while draining events", e);
                    }
                }
            } finally {
                waiting = false;
                lock.unlock();
            }
            if (closed) {
                throw new ClosedException("memory transport was closed while draining events");
            }
        }
    }

    /**
     * Waits briefly, without blocking, for a put. When a consumer keeps up with a producer the queue runs empty
     * between two messages about a microsecond apart; parking there costs the consumer a sleep and wake-up and
     * the producer a lock and an unpark (a system call) each time — more than the messages themselves. A few
     * microseconds of spinning cover that gap; after it the consumer blocks as before, so an idle consumer still
     * does not poll. Not on one CPU, where spinning only delays the thread that would put.
     */
    private boolean spinUntilPending(long deadline) {
        if (!MULTI_CORE) {
            return false;
        }
        long until = Math.min(deadline, System.nanoTime() + SPIN_NANOS);
        while (!pending && !closed) {
            Thread.onSpinWait();
            if (System.nanoTime() - until >= 0) {
                return pending;
            }
        }
        return pending;
    }

    @Override
    public void registerWithEventLoop(Hub hub) {
        this.hub = hub;
        signal();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (MemoryChannel ch : channels) {
            ch.close();
        }
        closed = true;
        connected = false;
        lock.lock();
        try {
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "MemoryTransport(" + url + ")";
    }
}
