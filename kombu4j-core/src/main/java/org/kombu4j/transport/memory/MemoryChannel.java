package org.kombu4j.transport.memory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.NotFoundException;
import org.kombu4j.PreconditionFailedException;
import org.kombu4j.Queue;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.virtual.DeadLetterPolicy;
import org.kombu4j.transport.virtual.ExchangeRouter;
import org.kombu4j.transport.virtual.StoredMessage;
import org.kombu4j.transport.virtual.VirtualChannel;

/** A {@link VirtualChannel} whose storage is a {@link MemoryBroker}. */
final class MemoryChannel extends VirtualChannel {
    private final MemoryTransport transport;
    private final MemoryBroker broker;
    /**
     * The queue last looked up by {@link #put} and {@link #poll}, keyed by the name's identity: publishers and
     * consumers pass the same String instance message after message, and the concurrent map lookup (hash plus a
     * byte-wise compare of the name, whose instance differs from the map's key) was a visible share of each
     * message's cost. A plain field holding an immutable pair: a racing thread sees either pair, both valid.
     */
    private @Nullable Found last;

    private record Found(String name, MemoryQueue queue) {
    }

    MemoryChannel(MemoryTransport transport, MemoryBroker broker) {
        this.transport = transport;
        this.broker = broker;
    }

    @Override
    protected @Nullable ExchangeType exchangeType(String exchange) {
        Exchange e = broker.exchanges.get(exchange);
        return e == null ? null : e.type();
    }

    @Override
    protected void storeExchange(Exchange exchange) {
        Exchange prior = broker.exchanges.putIfAbsent(exchange.name(), exchange);
        if (prior != null && prior.type() != exchange.type()) {
            throw new PreconditionFailedException("exchange '" + exchange.name() + "' exists with type "
                    + prior.type().wireName() + ", cannot redeclare it as " + exchange.type().wireName());
        }
    }

    @Override
    protected void removeExchange(String exchange) {
        broker.exchanges.remove(exchange);
        broker.bindings.remove(exchange);
    }

    @Override
    protected Collection<ExchangeRouter.Row> bindings(String exchange) {
        return broker.bindingsOf(exchange);
    }

    @Override
    protected void storeBinding(String exchange, ExchangeRouter.Row row) {
        List<ExchangeRouter.Row> rows = broker.bindingsOf(exchange);
        synchronized (rows) {
            if (!rows.contains(row)) {
                rows.add(row);
            }
        }
    }

    @Override
    protected void removeBinding(String exchange, ExchangeRouter.Row row) {
        broker.bindingsOf(exchange).remove(row);
    }

    @Override
    protected QueueInfo storeQueue(Queue queue, boolean passive) {
        MemoryQueue q;
        if (passive) {
            q = broker.queues.get(queue.name());
            if (q == null) {
                throw new NotFoundException("queue '" + queue.name() + "' not found (passive declare)");
            }
        } else {
            q = broker.queues.computeIfAbsent(queue.name(), n -> new MemoryQueue(queue));
            if (!q.definition.arguments().equals(queue.arguments())) {
                throw new PreconditionFailedException("queue '" + queue.name() + "' exists with arguments "
                        + q.definition.arguments() + ", cannot redeclare it with " + queue.arguments());
            }
        }
        return new QueueInfo(queue.name(), q.size(), -1);
    }

    @Override
    protected boolean hasQueue(String queue) {
        return broker.queues.containsKey(queue);
    }

    @Override
    protected void removeQueue(String queue) {
        MemoryQueue q = broker.queues.remove(queue);
        if (q != null) {
            q.deleted = true; // after the removal, so a cached lookup that still sees it live is ordered before it
        }
        broker.unbindQueue(queue);
    }

    private MemoryQueue queue(String name) {
        MemoryQueue q = broker.queues.get(name);
        if (q == null) {
            throw new NotFoundException("queue '" + name + "' not found");
        }
        return q;
    }

    /** The queue named {@code name}, or null; as {@code broker.queues.get(name)}, with the last answer reused. */
    private @Nullable MemoryQueue lookup(String name) {
        Found f = last;
        if (f != null && f.name == name && !f.queue.deleted) {
            return f.queue;
        }
        MemoryQueue q = broker.queues.get(name);
        if (q != null) {
            last = new Found(name, q);
        }
        return q;
    }

    @Override
    protected void put(String queue, StoredMessage message) {
        MemoryQueue q = lookup(queue);
        if (q != null) {
            q.put(message, false);
        }
    }

    @Override
    protected void putDelayed(String queue, StoredMessage message, long deliverAt) {
        broker.putLater(queue, message, deliverAt);
    }

    @Override
    protected @Nullable DeadLetterPolicy deadLetterPolicy(String queue) {
        MemoryQueue q = lookup(queue);
        return q == null ? null : q.deadLetters;
    }

    @Override
    protected void putFront(String queue, StoredMessage message) {
        MemoryQueue q = broker.queues.get(queue);
        if (q != null) {
            q.put(message, true);
        }
    }

    @Override
    protected @Nullable StoredMessage poll(String queue) {
        MemoryQueue q = lookup(queue);
        return q == null ? null : q.poll();
    }

    @Override
    protected long purgeQueue(String queue) {
        return queue(queue).purge();
    }

    @Override
    protected void onConsumerAdded(String queue) {
        transport.watch(queue(queue));
    }

    @Override
    protected void onConsumerRemoved(String queue) {
        MemoryQueue q = broker.queues.get(queue);
        if (q != null) {
            transport.unwatch(q, this);
        }
    }

    @Override
    protected void onCapacityFreed() {
        transport.signal();
    }

    @Override
    public List<QueueInfo> listQueues() {
        List<QueueInfo> out = new ArrayList<>();
        broker.queues.forEach((name, q) -> out.add(new QueueInfo(name, q.size(), -1)));
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    @Override
    public void close() {
        super.close();
        transport.channelClosed(this);
    }
}
