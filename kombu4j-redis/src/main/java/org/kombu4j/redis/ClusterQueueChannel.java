package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ClosedException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.MessageStateException;
import org.kombu4j.Queue;
import org.kombu4j.Binding;
import org.kombu4j.transport.DeliveryHandler;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * A channel of a {@link ClusterQueueTransport}: one channel of the catalog namespace for exchanges and
 * listing, and one channel per queue used, in that queue's namespace, for its messages. Delivery tags
 * are this channel's own and map to (queue channel, its tag). {@code qos} is one limit over all the
 * queue channels ({@link SharedPrefetch}), as on any other channel.
 */
final class ClusterQueueChannel implements TransportChannel {
    /** An unsettled delivery: the queue channel it came from and its tag there. */
    private record Held(TransportChannel channel, long tag) {
    }

    private final ClusterQueueTransport transport;
    private final TransportChannel catalog;
    private final Map<String, TransportChannel> queues = new ConcurrentHashMap<>();
    private final Map<String, String> consumers = new ConcurrentHashMap<>();
    private final Map<Long, Held> held = new ConcurrentHashMap<>();
    private final AtomicLong nextTag = new AtomicLong();
    private final SharedPrefetch shared = new SharedPrefetch();
    private volatile int prefetch;
    private volatile boolean open = true;

    ClusterQueueChannel(ClusterQueueTransport transport, TransportChannel catalog) {
        this.transport = transport;
        this.catalog = catalog;
    }

    /** The channel of {@code queue}'s namespace, opened on first use. */
    private TransportChannel of(String queue) {
        checkOpen();
        return queues.computeIfAbsent(queue, q -> {
            RedisTransport t = transport.namespace(q);
            TransportChannel ch = t.createChannel();
            if (ch instanceof RedisChannel rc) {
                rc.sharePrefetch(shared);
            }
            int n = prefetch;
            if (n > 0) {
                ch.qos(n);
            }
            return ch;
        });
    }

    @Override
    public void declareExchange(Exchange exchange, boolean passive) {
        checkOpen();
        catalog.declareExchange(exchange, passive);
    }

    @Override
    public QueueInfo declareQueue(Queue queue, boolean passive) {
        QueueInfo info = of(queue.name()).declareQueue(queue, passive);
        if (!passive) {
            catalog.declareQueue(queue, false); // listed from the catalog
        }
        return info;
    }

    @Override
    public void bind(String queue, Binding binding) {
        Exchange ex = binding.exchange();
        TransportChannel ch = of(queue);
        if (!ex.isDefault()) {
            // The queue's namespace routes the publishes handed to it on its own rows, so it needs the type too.
            ExchangeType recorded = transport.exchangeType(ex.name());
            ch.declareExchange(Exchange.of(ex.name(), recorded != null ? recorded : ex.type()), false);
        }
        ch.bind(queue, binding);
        catalog.bind(queue, binding);
    }

    @Override
    public void unbind(String queue, Binding binding) {
        of(queue).unbind(queue, binding);
        catalog.unbind(queue, binding);
    }

    @Override
    public void deleteQueue(String queue) {
        of(queue).deleteQueue(queue);
        catalog.deleteQueue(queue);
    }

    @Override
    public void deleteExchange(String exchange) {
        checkOpen();
        for (String q : transport.boundQueues(exchange)) {
            of(q).deleteExchange(exchange);
        }
        catalog.deleteExchange(exchange);
    }

    @Override
    public long purge(String queue) {
        return of(queue).purge(queue);
    }

    @Override
    public void publish(OutgoingMessage message) {
        checkOpen();
        transport.publish(message, (q, m) -> of(q).publish(m));
    }

    @Override
    public String consume(String queue, @Nullable String consumerTag, boolean noAck, DeliveryHandler handler) {
        TransportChannel ch = of(queue);
        String tag = consumerTag != null ? consumerTag : "kombu4j.cluster." + UUID.randomUUID();
        consumers.put(tag, queue);
        try {
            return ch.consume(queue, tag, noAck, m -> {
                transport.delivered();
                try {
                    handler.onDelivery(wrap(ch, m, noAck));
                } catch (RuntimeException e) {
                    if (!transport.handlerFailed(e)) {
                        throw e;
                    }
                }
            });
        } catch (RuntimeException e) {
            consumers.remove(tag);
            throw e;
        }
    }

    @Override
    public void cancel(String consumerTag) {
        String q = consumers.remove(consumerTag);
        TransportChannel ch = q == null ? null : queues.get(q);
        if (ch != null) {
            ch.cancel(consumerTag);
        }
    }

    @Override
    public void qos(int prefetchCount) {
        prefetch = prefetchCount;
        shared.setPrefetchCount(prefetchCount);
        for (TransportChannel ch : queues.values()) {
            ch.qos(prefetchCount);
        }
    }

    @Override
    public @Nullable TransportMessage get(String queue, boolean noAck) {
        TransportChannel ch = of(queue);
        TransportMessage m = ch.get(queue, noAck);
        return m == null ? null : wrap(ch, m, noAck);
    }

    private TransportMessage wrap(TransportChannel ch, TransportMessage m, boolean noAck) {
        long tag = nextTag.incrementAndGet();
        if (!noAck) {
            held.put(tag, new Held(ch, m.deliveryTag()));
        }
        return new TransportMessage(m.content(), m.exchange(), m.routingKey(), m.redelivered(), tag, m.consumerTag(), m.queue());
    }

    private Held take(long deliveryTag) {
        Held h = held.remove(deliveryTag);
        if (h == null) {
            throw new MessageStateException("unknown delivery tag " + deliveryTag + ": already settled, or not from this channel");
        }
        return h;
    }

    @Override
    public void ack(long deliveryTag) {
        Held h = take(deliveryTag);
        h.channel().ack(h.tag());
    }

    @Override
    public void reject(long deliveryTag, boolean requeue) {
        Held h = take(deliveryTag);
        h.channel().reject(h.tag(), requeue);
    }

    @Override
    public void deadLetter(long deliveryTag, String reason) {
        Held h = take(deliveryTag);
        h.channel().deadLetter(h.tag(), reason);
    }

    @Override
    public void recover(boolean requeue) {
        held.clear();
        for (TransportChannel ch : queues.values()) {
            ch.recover(requeue);
        }
    }

    /** The catalog's declared queues, each counted in its own namespace. */
    @Override
    public List<QueueInfo> listQueues() {
        checkOpen();
        List<QueueInfo> out = new ArrayList<>();
        for (QueueInfo c : catalog.listQueues()) {
            QueueInfo found = c;
            for (QueueInfo i : of(c.name()).listQueues()) {
                if (i.name().equals(c.name())) {
                    found = i;
                }
            }
            out.add(found);
        }
        return out;
    }

    @Override
    public boolean isOpen() {
        return open && transport.isConnected();
    }

    private void checkOpen() {
        if (!open) {
            throw new ClosedException("channel is closed");
        }
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        consumers.clear();
        RuntimeException first = null;
        try {
            for (TransportChannel ch : queues.values()) {
                try {
                    ch.close(); // restores its unacked messages
                } catch (RuntimeException e) {
                    first = first == null ? e : first;
                }
            }
            catalog.close();
        } finally {
            held.clear();
            transport.channelClosed(this);
        }
        if (first != null) {
            throw first;
        }
    }

    /** How many queue channels this channel has opened (tests). */
    int queueCount() {
        return queues.size();
    }

    /** The prefetch limit shared by this channel's queue channels (tests). */
    SharedPrefetch sharedPrefetch() {
        return shared;
    }

    @Override
    public String toString() {
        return "RedisChannel(" + transport.url().masked() + ", layout=queue, " + queues.size() + " queues)";
    }
}
