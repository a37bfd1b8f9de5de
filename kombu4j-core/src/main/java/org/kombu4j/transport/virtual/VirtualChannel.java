package org.kombu4j.transport.virtual;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.ClosedException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.NotFoundException;
import org.kombu4j.Queue;
import org.kombu4j.transport.DeliveryHandler;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * A channel for brokers without AMQP semantics: routing through {@link ExchangeRouter}, prefetch and
 * unacked bookkeeping through {@link QoS}, consumers served round-robin by {@link #deliverAvailable},
 * and unacknowledged messages restored (marked redelivered) on close or recover. Subclasses supply
 * storage: where exchanges, bindings and queue contents live.
 *
 * <p>Thread rules: every public method may be called from any thread. Handlers are called by
 * {@link #deliverAvailable} on the caller's thread with no lock held, so a handler may ack, publish
 * or cancel.
 */
public abstract class VirtualChannel implements TransportChannel {
    private final ExchangeRouter router = new ExchangeRouter();
    private final QoS<Unacked> qos = new QoS<>();
    private long nextTag; // guarded by this: tags are taken and tracked under the channel's monitor
    private final AtomicLong nextConsumer = new AtomicLong();
    private final Map<String, ConsumerEntry> consumers = new LinkedHashMap<>();
    private final List<ConsumerEntry> consumerOrder = new ArrayList<>();
    private int roundRobin;
    private volatile boolean open = true;

    /** An unacknowledged delivery: the queue it came from and the message, to restore it. */
    public record Unacked(String queue, StoredMessage message, @Nullable String consumerTag) {
    }

    private record ConsumerEntry(String tag, String queue, boolean noAck, DeliveryHandler handler) {
    }

    // ---- storage, supplied by the transport ----

    /** The declared type of an exchange, or null if it was never declared. */
    protected abstract @Nullable ExchangeType exchangeType(String exchange);

    /** Records an exchange; throws {@link org.kombu4j.PreconditionFailedException} if it exists with another type. */
    protected abstract void storeExchange(Exchange exchange);

    protected abstract void removeExchange(String exchange);

    protected abstract Collection<ExchangeRouter.Row> bindings(String exchange);

    protected abstract void storeBinding(String exchange, ExchangeRouter.Row row);

    protected abstract void removeBinding(String exchange, ExchangeRouter.Row row);

    /** Creates the queue if missing (or checks it with {@code passive}); returns what is known of it. */
    protected abstract QueueInfo storeQueue(Queue queue, boolean passive);

    protected abstract boolean hasQueue(String queue);

    protected abstract void removeQueue(String queue);

    /** Appends a message to a queue. */
    protected abstract void put(String queue, StoredMessage message);

    /** Puts a message back at the consuming end of a queue, so it is delivered next. */
    protected abstract void putFront(String queue, StoredMessage message);

    /** Takes the next message, or null. */
    protected abstract @Nullable StoredMessage poll(String queue);

    protected abstract long purgeQueue(String queue);

    /** Called when a consumer starts on a queue, so the transport can watch it for new messages. */
    protected void onConsumerAdded(String queue) {
    }

    /** Called when the last consumer of this channel on a queue stops. */
    protected void onConsumerRemoved(String queue) {
    }

    /** Called when capacity was freed (ack, reject, qos change) so the transport can deliver more. */
    protected void onCapacityFreed() {
    }

    // ---- TransportChannel ----

    @Override
    public void declareExchange(Exchange exchange, boolean passive) {
        checkOpen();
        if (exchange.isDefault()) {
            return;
        }
        if (passive) {
            if (exchangeType(exchange.name()) == null) {
                throw new NotFoundException("exchange '" + exchange.name() + "' not found (passive declare)");
            }
            return;
        }
        storeExchange(exchange);
    }

    @Override
    public QueueInfo declareQueue(Queue queue, boolean passive) {
        checkOpen();
        return storeQueue(queue, passive);
    }

    @Override
    public void bind(String queue, Binding binding) {
        checkOpen();
        String ex = binding.exchange().name();
        if (ex.isEmpty()) {
            throw new KombuException("cannot bind queue '" + queue + "' to the default exchange: every queue is bound to it already");
        }
        if (exchangeType(ex) == null) {
            throw new NotFoundException("cannot bind queue '" + queue + "': exchange '" + ex + "' not declared");
        }
        if (!hasQueue(queue)) {
            throw new NotFoundException("cannot bind queue '" + queue + "': queue not declared");
        }
        storeBinding(ex, new ExchangeRouter.Row(queue, binding.routingKey(), binding.arguments()));
    }

    @Override
    public void unbind(String queue, Binding binding) {
        checkOpen();
        removeBinding(binding.exchange().name(), new ExchangeRouter.Row(queue, binding.routingKey(), binding.arguments()));
    }

    @Override
    public void deleteQueue(String queue) {
        checkOpen();
        removeQueue(queue);
    }

    @Override
    public void deleteExchange(String exchange) {
        checkOpen();
        removeExchange(exchange);
    }

    @Override
    public long purge(String queue) {
        checkOpen();
        if (!hasQueue(queue)) {
            throw new NotFoundException("cannot purge queue '" + queue + "': not found");
        }
        return purgeQueue(queue);
    }

    /** The queues a message published to {@code exchange} with {@code routingKey} goes to. */
    public Set<String> lookup(String exchange, String routingKey, Map<String, Object> headers) {
        if (exchange.isEmpty()) {
            return hasQueue(routingKey) ? Set.of(routingKey) : Set.of();
        }
        ExchangeType type = exchangeType(exchange);
        if (type == null) {
            throw new NotFoundException("cannot publish to exchange '" + exchange + "': not declared");
        }
        return router.route(type, bindings(exchange), routingKey, headers);
    }

    @Override
    public void publish(OutgoingMessage message) {
        checkOpen();
        Set<String> queues = lookup(message.exchange(), message.routingKey(), message.content().headers());
        if (queues.isEmpty() && message.mandatory()) {
            throw new org.kombu4j.UnroutableException("message to exchange '" + message.exchange() + "' with routing key '"
                    + message.routingKey() + "' was returned: no queue is bound to take it");
        }
        StoredMessage stored = new StoredMessage(message.content(), message.exchange(), message.routingKey(), false);
        for (String q : queues) {
            put(q, stored);
        }
    }

    @Override
    public String consume(String queue, @Nullable String consumerTag, boolean noAck, DeliveryHandler handler) {
        checkOpen();
        if (!hasQueue(queue)) {
            throw new NotFoundException("cannot consume from queue '" + queue + "': not found");
        }
        String tag = consumerTag != null ? consumerTag : "ctag-" + nextConsumer.incrementAndGet();
        synchronized (this) {
            if (consumers.containsKey(tag)) {
                throw new KombuException("consumer tag '" + tag + "' is already in use on this channel");
            }
            ConsumerEntry entry = new ConsumerEntry(tag, queue, noAck, handler);
            consumers.put(tag, entry);
            consumerOrder.add(entry);
        }
        onConsumerAdded(queue);
        return tag;
    }

    @Override
    public void cancel(String consumerTag) {
        ConsumerEntry removed;
        boolean last;
        synchronized (this) {
            removed = consumers.remove(consumerTag);
            if (removed != null) {
                consumerOrder.remove(removed);
            }
            last = removed != null && consumers.values().stream().noneMatch(c -> c.queue.equals(removed.queue));
        }
        if (removed != null && last) {
            onConsumerRemoved(removed.queue);
        }
    }

    /** The queues this channel consumes, each once. */
    public synchronized List<String> consumedQueues() {
        List<String> out = new ArrayList<>();
        for (ConsumerEntry c : consumers.values()) {
            if (!out.contains(c.queue)) {
                out.add(c.queue);
            }
        }
        return out;
    }

    @Override
    public void qos(int prefetchCount) {
        qos.setPrefetchCount(prefetchCount);
        onCapacityFreed();
    }

    @Override
    public @Nullable TransportMessage get(String queue, boolean noAck) {
        checkOpen();
        if (!hasQueue(queue)) {
            throw new NotFoundException("cannot get from queue '" + queue + "': not found");
        }
        synchronized (this) {
            StoredMessage m = poll(queue);
            if (m == null) {
                return null;
            }
            return track(queue, m, null, noAck);
        }
    }

    /** Called holding this channel's monitor, so tags reach the QoS in ascending order. */
    private TransportMessage track(String queue, StoredMessage m, @Nullable String consumerTag, boolean noAck) {
        long tag = ++nextTag;
        if (!noAck) {
            qos.append(tag, new Unacked(queue, m, consumerTag));
        }
        return new TransportMessage(m.content(), m.exchange(), m.routingKey(), m.redelivered(), tag, consumerTag, queue);
    }

    /**
     * Delivers up to {@code max} ready messages to this channel's consumers, round-robin, within the
     * prefetch limit. Handlers run on this thread with no lock held.
     *
     * @return how many were delivered
     */
    public int deliverAvailable(int max) {
        int delivered = 0;
        int idleTurns = 0;
        while (delivered < max && open) {
            ConsumerEntry c;
            TransportMessage tm;
            synchronized (this) {
                int n = consumers.size();
                if (n == 0 || idleTurns >= n) {
                    break;
                }
                if (roundRobin >= n) {
                    roundRobin = 0;
                }
                c = consumerOrder.get(roundRobin++);
                if (c.noAck) {
                    StoredMessage m = poll(c.queue);
                    if (m == null) {
                        idleTurns++;
                        continue;
                    }
                    tm = track(c.queue, m, c.tag, true);
                } else {
                    // One QoS monitor for the check and the append (taken again inside, which costs no atomic
                    // operation): lock order channel, QoS, queue, as everywhere else.
                    synchronized (qos) {
                        if (!qos.canConsume()) {
                            idleTurns++;
                            continue;
                        }
                        StoredMessage m = poll(c.queue);
                        if (m == null) {
                            idleTurns++;
                            continue;
                        }
                        tm = track(c.queue, m, c.tag, false);
                    }
                }
                idleTurns = 0;
            }
            delivered++;
            c.handler.onDelivery(tm);
        }
        return delivered;
    }

    /** Whether this channel has a consumer that could take a message now. */
    public synchronized boolean wantsMessages() {
        if (!open || consumers.isEmpty()) {
            return false;
        }
        if (qos.canConsume()) {
            return true;
        }
        return consumers.values().stream().anyMatch(c -> c.noAck);
    }

    @Override
    public void ack(long deliveryTag) {
        Unacked u;
        boolean wasFull;
        synchronized (qos) { // QoS locks itself: holding its monitor makes the check and the removal one step
            wasFull = !qos.canConsume();
            u = qos.remove(deliveryTag);
        }
        if (u == null) {
            throw new org.kombu4j.MessageStateException("unknown delivery tag " + deliveryTag + ": already acknowledged, or not from this channel");
        }
        // Only an ack that takes the count below the prefetch limit can let a delivery through that was held
        // back; deliveries stop otherwise only for an empty queue, and a put signals that itself. Skipping the
        // signal for the other acks spares the delivering thread a wake-up per message (a volatile write on the
        // memory transport, a scheduled callback on a hub).
        if (wasFull) {
            onCapacityFreed();
        }
    }

    @Override
    public void reject(long deliveryTag, boolean requeue) {
        Unacked u = qos.remove(deliveryTag);
        if (u == null) {
            throw new org.kombu4j.MessageStateException("unknown delivery tag " + deliveryTag + ": already settled, or not from this channel");
        }
        if (requeue) {
            restore(u, true);
        }
        onCapacityFreed();
    }

    @Override
    public void recover(boolean requeue) {
        restoreAll();
        onCapacityFreed();
    }

    /** Puts every unacknowledged message back, marked redelivered, oldest first at the front. */
    protected void restoreAll() {
        List<Unacked> all = qos.drain();
        for (int i = all.size() - 1; i >= 0; i--) {
            restore(all.get(i), true);
        }
    }

    /**
     * Puts one message back into the queue it came from, marked redelivered. Unlike Kombu (WIRE.md
     * §12.8) it does not re-route through the current bindings, so a message is never duplicated
     * into other queues nor dropped because a binding went away.
     */
    protected void restore(Unacked u, boolean front) {
        if (!hasQueue(u.queue())) {
            return;
        }
        StoredMessage m = u.message().asRedelivered();
        if (front) {
            putFront(u.queue(), m);
        } else {
            put(u.queue(), m);
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    protected void checkOpen() {
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
        List<String> queues;
        synchronized (this) {
            queues = new ArrayList<>();
            for (ConsumerEntry c : consumers.values()) {
                if (!queues.contains(c.queue)) {
                    queues.add(c.queue);
                }
            }
            consumers.clear();
            consumerOrder.clear();
        }
        for (String q : queues) {
            onConsumerRemoved(q);
        }
        restoreAll();
    }
}
