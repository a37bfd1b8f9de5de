package org.kombu4j.transport.virtual;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.ClosedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.NotFoundException;
import org.kombu4j.Queue;
import org.kombu4j.transport.DeadLetters;
import org.kombu4j.transport.DeliveryHandler;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.QueueStats;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel for brokers without AMQP semantics: routing through {@link ExchangeRouter}, consumers
 * in a {@link ConsumerRegistry} served round-robin by {@link #deliverAvailable}, prefetch and
 * unacked bookkeeping through {@link QoS}, and unacknowledged messages restored (marked
 * redelivered) on close or recover. Subclasses supply storage: where exchanges, bindings and queue
 * contents live, a memory map or a real broker.
 *
 * <p>Thread rules: every public method may be called from any thread. No storage method is called
 * holding the channel's or the QoS's lock, since on a real broker it is a network call: a delivery
 * reserves a prefetch slot (an atomic count), takes the message with no lock held, then records it
 * (or gives it back, if the consumer was cancelled or the channel closed meanwhile). Handlers are
 * called by {@link #deliverAvailable} on the caller's thread with no lock held, so a handler may
 * ack, publish or cancel. A handler that throws ends {@code deliverAvailable} with its exception;
 * its message stays unacknowledged, the rest stay in their queues.
 *
 * <p><b>Dead letters and delays.</b> A queue's {@link DeadLetterPolicy} (from the storage,
 * {@link #deadLetterPolicy}) is applied here, the same on every storage: a message rejected without requeue or
 * {@link #deadLetter dead-lettered} gets {@link DeadLetters#record} headers and is routed through the dead-letter
 * exchange's bindings ({@link #moveToDeadLetters}, which a storage may make one transaction); a message about to
 * be delivered more than the delivery limit + 1 times goes there instead (reason {@code delivery_limit}). A
 * delayed publish goes to {@link #putDelayed}, which the storage holds back until due.
 */
public abstract class VirtualChannel implements TransportChannel {
    private static final Logger log = LoggerFactory.getLogger(VirtualChannel.class);
    private final ExchangeRouter router = new ExchangeRouter();
    private final QoS<Unacked> qos = new QoS<>();
    private final ConsumerRegistry consumers = new ConsumerRegistry();
    private long nextTag; // guarded by this: tags are taken and tracked under the channel's monitor, so they reach QoS ascending
    /**
     * What prefetch bounds: the unacknowledged deliveries plus the slots reserved by deliveries between their
     * capacity check and their record in the QoS, so concurrent deliveries never exceed the prefetch. An atomic of
     * its own, so a reservation and an ack each cost one atomic operation rather than another monitor; whoever
     * removes entries from the QoS takes them off here.
     */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile int prefetch; // 0: unlimited
    private volatile boolean open = true; // set false under this, so a delivery records before the close or not at all
    /**
     * Counts cancels (written under this): a delivery whose count is unchanged since it picked its consumer
     * knows the consumer is still registered without asking the registry.
     */
    private volatile long cancels;

    /** An unacknowledged delivery: the queue it came from and the message, to restore it. */
    public record Unacked(String queue, StoredMessage message, @Nullable String consumerTag) {
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

    /** Called after a delivery was acknowledged, so a storage that keeps taken messages can drop it. */
    protected void onAcked(Unacked acked) {
    }

    /**
     * Called, holding this channel's monitor (be quick), when a message is delivered in no-ack mode:
     * it is settled as it is delivered.
     */
    protected void onTakenWithoutAck(String queue, StoredMessage message) {
    }

    /**
     * Called, holding this channel's monitor (be quick: an increment), for every message delivered from
     * {@code queue}, to a consumer or by a get, so a transport can count deliveries for a monitor.
     */
    protected void onDelivered(String queue) {
    }

    /** Adds this channel's consumers per queue to {@code into} (queue → consumers). */
    public void countConsumers(java.util.Map<String, Integer> into) {
        consumers.countByQueue(into);
    }

    /** Called after a delivery was rejected without requeue: it leaves the queue for good. */
    protected void onDiscarded(Unacked rejected) {
    }

    /** The dead-letter arguments of a queue, or null if it has none (the default: the storage keeps none). */
    protected @Nullable DeadLetterPolicy deadLetterPolicy(String queue) {
        return null;
    }

    /** The dead-letter arguments of {@code queues} that have some; by default {@link #deadLetterPolicy} of each. */
    protected Map<String, DeadLetterPolicy> deadLetterPolicies(Collection<String> queues) {
        Map<String, DeadLetterPolicy> out = new LinkedHashMap<>();
        for (String q : queues) {
            DeadLetterPolicy p = deadLetterPolicy(q);
            if (p != null) {
                out.put(q, p);
            }
        }
        return out;
    }

    /**
     * Where the dead letters of each of {@code queues} go, routed as {@link #deadLetter} routes them, for
     * {@link QueueStats#withDeadLetterQueues}: one read of the policies and one of each dead-letter exchange's
     * bindings. Left out: queues without a dead-letter exchange, and those whose target depends on the message
     * (no dead-letter routing key, or a headers exchange).
     */
    protected Map<String, List<String>> deadLetterTargets(Collection<String> queues) {
        Map<String, List<String>> out = new HashMap<>();
        Map<String, @Nullable ExchangeType> types = new HashMap<>();
        Map<String, Collection<ExchangeRouter.Row>> rows = new HashMap<>();
        deadLetterPolicies(queues).forEach((queue, p) -> {
            String dlx = p.exchange();
            String rk = p.routingKey();
            if (dlx == null || rk == null) {
                return;
            }
            if (dlx.isEmpty()) {
                out.put(queue, List.of(rk));
                return;
            }
            ExchangeType type = types.computeIfAbsent(dlx, this::exchangeType);
            if (type == null) {
                out.put(queue, List.of()); // not declared: dead letters are dropped
            } else if (type != ExchangeType.HEADERS) {
                out.put(queue, new ArrayList<>(router.route(type, rows.computeIfAbsent(dlx, this::bindings), rk, Map.of())));
            }
        });
        return out;
    }

    /** {@link #listQueues()}'s figures with each queue's dead letters ({@link #deadLetterTargets}). */
    @Override
    public List<QueueStats> queueStats() {
        List<QueueStats> stats = TransportChannel.super.queueStats();
        return QueueStats.withDeadLetterQueues(stats, deadLetterTargets(stats.stream().map(QueueStats::name).toList()));
    }

    /**
     * Whether the storage counts deliveries itself, so a message it hands out carries in
     * {@link StoredMessage#deliveries()} how often it was taken, this time included (a SQL column). If not, this
     * channel counts them in the message it keeps unacknowledged and restores (only for queues with a delivery
     * limit, so others pay nothing).
     */
    protected boolean countsDeliveries() {
        return false;
    }

    /**
     * Puts {@code dead} (the dead letter made of {@code original}) into each of {@code targets} and removes the
     * original, as {@link #onDiscarded} does; with no targets it only removes it. A storage that can do both in
     * one transaction overrides this, so a dead letter is neither lost nor doubled by a crash in between.
     */
    protected void moveToDeadLetters(Unacked original, Set<String> targets, StoredMessage dead) {
        for (String q : targets) {
            put(q, dead);
        }
        onDiscarded(original);
    }

    /**
     * Stores a message that must not be delivered before {@code deliverAt} (epoch milliseconds, in the future):
     * neither ready nor in flight until then. The default refuses: a transport with delayed delivery overrides it
     * (and says so in its capabilities).
     */
    protected void putDelayed(String queue, StoredMessage message, long deliverAt) {
        throw new ConfigurationException("this transport does not support delayed delivery (countdown/eta)");
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
        if (queues.isEmpty()) {
            if (message.mandatory()) {
                throw org.kombu4j.transport.Unroutable.returned(message.exchange(), message.routingKey());
            }
            org.kombu4j.transport.Unroutable.dropped(message.exchange(), message.routingKey());
        }
        StoredMessage stored = new StoredMessage(message.content(), message.exchange(), message.routingKey(), false);
        long at = message.deliverAt();
        boolean delayed = at != 0 && at > System.currentTimeMillis();
        for (String q : queues) {
            if (delayed) {
                putDelayed(q, stored, at);
            } else {
                put(q, stored);
            }
        }
    }

    @Override
    public String consume(String queue, @Nullable String consumerTag, boolean noAck, DeliveryHandler handler) {
        checkOpen();
        if (!hasQueue(queue)) {
            throw new NotFoundException("cannot consume from queue '" + queue + "': not found");
        }
        String tag = consumers.add(queue, consumerTag, noAck, handler).tag();
        onConsumerAdded(queue);
        return tag;
    }

    @Override
    public void cancel(String consumerTag) {
        ConsumerRegistry.Cancelled cancelled;
        synchronized (this) { // so a delivery being recorded for this consumer is either recorded before or given back
            cancelled = consumers.cancel(consumerTag);
            if (cancelled != null) {
                cancels++;
            }
        }
        if (cancelled != null && cancelled.lastOnQueue()) {
            onConsumerRemoved(cancelled.registration().queue());
        }
    }

    /** Whether a consumer of this channel consumes {@code queue}. */
    public boolean consumes(String queue) {
        return consumers.consumes(queue);
    }

    @Override
    public void qos(int prefetchCount) {
        qos.setPrefetchCount(prefetchCount);
        prefetch = prefetchCount;
        onCapacityFreed();
    }

    @Override
    public @Nullable TransportMessage get(String queue, boolean noAck) {
        checkOpen();
        if (!hasQueue(queue)) {
            throw new NotFoundException("cannot get from queue '" + queue + "': not found");
        }
        StoredMessage taken;
        StoredMessage m;
        do {
            taken = poll(queue);
            if (taken == null) {
                return null;
            }
            m = counted(queue, taken);
        } while (m == null);
        TransportMessage tm;
        synchronized (this) {
            tm = open ? track(queue, m, null, noAck) : null;
        }
        if (tm == null) {
            putFront(queue, taken); // closed while it was taken: it was never delivered
            throw new ClosedException("channel is closed");
        }
        if (!noAck) {
            inFlight.incrementAndGet();
        }
        return tm;
    }

    /** Called holding this channel's monitor, so tags reach the QoS in ascending order. */
    private TransportMessage track(String queue, StoredMessage m, @Nullable String consumerTag, boolean noAck) {
        long tag = ++nextTag;
        onDelivered(queue);
        if (!noAck) {
            qos.append(tag, new Unacked(queue, m, consumerTag));
        } else {
            onTakenWithoutAck(queue, m);
        }
        return new TransportMessage(m.content(), m.exchange(), m.routingKey(), m.redelivered(), tag, consumerTag, queue);
    }

    /** Takes a prefetch slot for one acknowledged-mode delivery, if one is free. */
    private boolean reserve() {
        while (true) {
            int p = prefetch;
            int n = inFlight.get();
            if (p != 0 && n >= p) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /**
     * Records a message taken for consumer {@code c} and returns the delivery, or null if {@code c} was cancelled
     * or the channel closed since it was picked (the caller gives the message back, and the reserved slot is freed).
     * {@code cancelsSeen}: {@link #cancels} read before {@code c} was picked.
     */
    private @Nullable TransportMessage record(ConsumerRegistry.Registration c, long cancelsSeen, StoredMessage m) {
        synchronized (this) {
            boolean live = open && (cancels == cancelsSeen || consumers.isActive(c));
            if (live) {
                return track(c.queue(), m, c.tag(), c.noAck()); // an acked one keeps its reserved slot
            }
        }
        if (!c.noAck()) {
            inFlight.decrementAndGet();
        }
        return null;
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
        int consumerCount = consumers.size();
        while (delivered < max && open && idleTurns < consumerCount) {
            long cancelsSeen = cancels;
            ConsumerRegistry.Registration c = consumers.next();
            if (c == null) {
                break;
            }
            if (!c.noAck() && !reserve()) {
                idleTurns++;
                consumerCount = consumers.size();
                continue;
            }
            StoredMessage taken;
            StoredMessage m;
            try {
                taken = poll(c.queue());
                m = taken == null ? null : counted(c.queue(), taken);
            } catch (RuntimeException e) {
                if (!c.noAck()) {
                    inFlight.decrementAndGet();
                }
                throw e;
            }
            if (m == null) {
                if (!c.noAck()) {
                    inFlight.decrementAndGet();
                }
                if (taken == null) {
                    idleTurns++;
                    consumerCount = consumers.size();
                }
                continue; // else it was dead-lettered: look again
            }
            TransportMessage tm = record(c, cancelsSeen, m);
            if (tm == null) {
                putFront(c.queue(), taken); // cancelled or closed meanwhile: back in place, not marked redelivered
                consumerCount = consumers.size();
                continue;
            }
            idleTurns = 0;
            delivered++;
            c.handler().onDelivery(tm);
        }
        return delivered;
    }

    /** Whether this channel has a consumer that could take a message now. */
    public boolean wantsMessages() {
        if (!open || consumers.isEmpty()) {
            return false;
        }
        int p = prefetch;
        return p == 0 || inFlight.get() < p || consumers.anyNoAck();
    }

    /**
     * How many more acknowledged-mode deliveries the prefetch allows now ({@link Integer#MAX_VALUE} if
     * unlimited), for a transport that fetches ahead in batches; 0 if the channel takes none.
     */
    public int capacity() {
        if (!open || consumers.isEmpty()) {
            return 0;
        }
        int p = prefetch;
        if (p == 0 || consumers.anyNoAck()) {
            return Integer.MAX_VALUE;
        }
        return Math.max(0, p - inFlight.get());
    }

    /** The queues this channel's consumers consume, each once. */
    public List<String> consumedQueues() {
        return consumers.queues();
    }

    @Override
    public void ack(long deliveryTag) {
        Unacked u = qos.remove(deliveryTag);
        if (u == null) {
            throw new org.kombu4j.MessageStateException("unknown delivery tag " + deliveryTag + ": already acknowledged, or not from this channel");
        }
        onAcked(u);
        int p = prefetch;
        boolean wasFull = inFlight.getAndDecrement() >= p && p != 0;
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
        settle(deliveryTag, requeue ? null : DeadLetters.REJECTED);
    }

    @Override
    public void deadLetter(long deliveryTag, String reason) {
        settle(deliveryTag, reason);
    }

    /** Settles a delivery other than by ack: requeued ({@code deadReason} null) or dead-lettered for {@code deadReason}. */
    private void settle(long deliveryTag, @Nullable String deadReason) {
        Unacked u = qos.remove(deliveryTag);
        if (u == null) {
            throw new org.kombu4j.MessageStateException("unknown delivery tag " + deliveryTag + ": already settled, or not from this channel");
        }
        inFlight.decrementAndGet();
        if (deadReason == null) {
            restore(u, true);
        } else {
            deadLetterOrDiscard(u, deadReason);
        }
        onCapacityFreed();
    }

    /**
     * The message {@code taken} from {@code queue} as it is delivered, counted; or null if that delivery would
     * exceed the queue's delivery limit, in which case it went to the dead letters instead.
     */
    private @Nullable StoredMessage counted(String queue, StoredMessage taken) {
        DeadLetterPolicy p;
        int n;
        StoredMessage m = taken;
        if (countsDeliveries()) {
            n = m.deliveries();
            if (n <= 1) {
                return m; // a first delivery is within any limit: no policy looked up on the usual path
            }
            p = deadLetterPolicy(queue);
            if (p == null || !p.limited()) {
                return m;
            }
        } else {
            p = deadLetterPolicy(queue);
            if (p == null || !p.limited()) {
                return m;
            }
            n = m.deliveries() + 1;
            m = m.withDeliveries(n);
        }
        if (n <= p.deliveryLimit() + 1) {
            return m;
        }
        deadLetterOrDiscard(new Unacked(queue, m, null), DeadLetters.DELIVERY_LIMIT);
        return null;
    }

    /**
     * Sends a message taken from its queue to the queue's dead-letter exchange, with {@link DeadLetters#record}
     * headers saying why, and removes it; without a dead-letter exchange it is dropped (as RabbitMQ does).
     */
    private void deadLetterOrDiscard(Unacked u, String reason) {
        DeadLetterPolicy p = deadLetterPolicy(u.queue());
        String dlx = p == null ? null : p.exchange();
        if (dlx == null) {
            onDiscarded(u);
            return;
        }
        StoredMessage m = u.message();
        RawMessage c = m.content();
        Map<String, Object> headers = DeadLetters.record(c.headers(), reason, u.queue(), m.exchange(), m.routingKey(), Instant.now());
        String rk = p.routingKey() != null ? p.routingKey() : m.routingKey();
        Set<String> targets;
        try {
            targets = lookup(dlx, rk, headers);
        } catch (NotFoundException e) {
            targets = Set.of();
        }
        if (targets.isEmpty()) {
            log.warn("a message dead-lettered from queue '{}' ({}) was dropped: dead-letter exchange '{}' routes routing key "
                    + "'{}' to no queue", u.queue(), reason, dlx, rk);
        }
        StoredMessage dead = new StoredMessage(new RawMessage(c.body(), c.contentType(), c.contentEncoding(), headers, c.properties()),
                dlx, rk, false);
        moveToDeadLetters(u, targets, dead);
    }

    @Override
    public void recover(boolean requeue) {
        restoreAll();
        onCapacityFreed();
    }

    /** Puts every unacknowledged message back, marked redelivered, oldest first at the front. */
    protected void restoreAll() {
        List<Unacked> all = qos.drain();
        inFlight.addAndGet(-all.size());
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
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
        }
        List<String> queues = consumers.clear();
        for (String q : queues) {
            onConsumerRemoved(q);
        }
        restoreAll();
    }
}
