package org.kombu4j.transport.memory;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ClosedException;
import org.kombu4j.ExchangeType;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.EventInbox;
import org.kombu4j.transport.PriorityOrder;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportCapabilities;
import org.kombu4j.transport.TransportChannel;

/**
 * The {@code memory://} transport: an in-process broker for tests, demos and single-JVM pipelines.
 * Connections with the same virtual host ({@code memory://} alone means the default one) share
 * queues. Consumers wake when a message arrives and never poll: a put posts one delivery task
 * (at most one is pending at a time) to an {@link EventInbox}, run by {@link #drainEvents} or, on
 * an event loop, through {@link Hub#callSoon}. Messages do not survive the JVM.
 */
public final class MemoryTransport implements Transport {
    /** Deliveries per drain before giving other work on the thread a turn. */
    private static final int BATCH = 1024;

    static final TransportCapabilities CAPABILITIES = TransportCapabilities.builder(
            EnumSet.allOf(ExchangeType.class)).priorityOrder(PriorityOrder.HIGHER_FIRST).priorityNeedsMaxPriority(true)
            .canListQueues(true).delayedDelivery(true).deadLetters(true).build();

    private final BrokerUrl url;
    private final MemoryBroker broker;
    private final List<MemoryChannel> channels = new CopyOnWriteArrayList<>();
    private final EventInbox inbox = new EventInbox(Ticker.system(), () -> { });
    /** Whether a delivery task is pending in {@link #inbox}: puts in a burst post one, not one each. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable deliverTask = this::deliverScheduled;
    private final Runnable watcher = this::signal;
    /** Event thread only: deliveries made since the current {@link #drainEvents} began. */
    private int delivered;
    private volatile boolean connected;
    private volatile boolean closed;

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
        if (scheduled.compareAndSet(false, true)) {
            try {
                inbox.post(deliverTask);
            } catch (ClosedException e) {
                // The hub closed: nobody delivers for this connection any more (the flag stays set).
            }
        }
    }

    private void deliverScheduled() {
        scheduled.set(false);
        if (closed) {
            return;
        }
        boolean more = true; // until deliverAll returns: a handler that threw leaves the others' messages waiting
        try {
            int n = deliverAll();
            delivered += n;
            more = n >= BATCH;
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
        if (inbox.onHub()) {
            throw new IllegalStateException("this connection is registered with a Hub: its deliveries run on the hub thread, drainEvents cannot be used");
        }
        long deadline = inbox.deadlineAfter(timeout);
        delivered = 0;
        while (true) {
            if (inbox.runPending() == 0) {
                // No put since the last drain, but an ack may have made room under the prefetch limit.
                delivered += deliverAll();
            }
            if (delivered > 0) {
                return true;
            }
            if (closed) {
                throw new ClosedException("memory transport was closed while draining events");
            }
            if (!inbox.await(deadline)) {
                return false;
            }
        }
    }

    @Override
    public void registerWithEventLoop(Hub hub) {
        inbox.moveTo(hub);
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
        inbox.wake();
    }

    @Override
    public String toString() {
        return "MemoryTransport(" + url + ")";
    }
}
