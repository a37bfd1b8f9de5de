package org.kombu4j.redis;

import org.kombu4j.transport.virtual.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.ClosedException;
import org.kombu4j.DecodeException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Queue;
import org.kombu4j.redis.MultiChannelPoller.Sync;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.transport.DeadLetters;
import org.kombu4j.transport.DeliveryHandler;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.QueueStats;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;
import org.kombu4j.transport.virtual.ConsumerRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel of the Redis transport. Declarations, publishes, acknowledgements and basic-get run on
 * the transport's command connection from any thread. Consuming runs on the event thread: a
 * wake-up for one of the channel's lists runs the pop script with the channel's free prefetch
 * capacity, and the reply is dispatched to the consumers. Public methods are thread-safe; handlers
 * run with no lock held.
 */
final class RedisChannel implements TransportChannel {
    private static final Logger log = LoggerFactory.getLogger(RedisChannel.class);

    private final RedisTransport transport;
    private final MultiChannelPoller poller;
    private final Keys keys;
    private final RedisCatalog catalog;
    private final RedisPublisher publisher;
    private final ChannelConsumers consumers;
    private final FanoutBindings fanoutBindings;
    private final UnackedDeliveries unacked;
    private final DeadLetterer deadLetterer;
    private final AtomicLong nextTag = new AtomicLong();
    private volatile boolean open = true;

    private final ListPopper popper;
    private volatile @Nullable SharedPrefetch sharedPrefetch;

    RedisChannel(RedisTransport transport) {
        this.transport = transport;
        this.poller = transport.poller();
        this.keys = transport.keys();
        this.catalog = transport.catalog();
        this.publisher = new RedisPublisher(transport);
        this.consumers = new ChannelConsumers(keys);
        this.fanoutBindings = new FanoutBindings(transport);
        this.unacked = new UnackedDeliveries(transport);
        this.deadLetterer = new DeadLetterer(transport, publisher, unacked);
        this.popper = new ListPopper(this, transport, consumers, unacked);
    }

    // ---------------------------------------------------------------- declarations (the catalog's)

    @Override
    public void declareExchange(Exchange exchange, boolean passive) {
        checkOpen();
        catalog.declareExchange(exchange, passive);
    }

    @Override
    public QueueInfo declareQueue(Queue queue, boolean passive) {
        checkOpen();
        return catalog.declareQueue(queue, passive);
    }

    @Override
    public void bind(String queue, Binding binding) {
        checkOpen();
        catalog.bind(queue, binding);
        Exchange ex = binding.exchange();
        if (ex.type() == ExchangeType.FANOUT && consumers.fanoutBound(queue, ex.name())) {
            poller.subscriptionsChanged(Sync.BEFORE_RETURN);
        }
    }

    @Override
    public void unbind(String queue, Binding binding) {
        checkOpen();
        catalog.unbind(queue, binding);
        if (consumers.fanoutUnbound(queue, binding.exchange().name())) {
            poller.subscriptionsChanged(Sync.BEFORE_RETURN);
        }
    }

    @Override
    public void deleteQueue(String queue) {
        checkOpen();
        catalog.deleteQueue(queue);
    }

    @Override
    public void deleteExchange(String exchange) {
        checkOpen();
        catalog.deleteExchange(exchange);
    }

    @Override
    public List<QueueInfo> listQueues() {
        checkOpen();
        return catalog.listQueues();
    }

    @Override
    public List<QueueStats> queueStats() {
        checkOpen();
        List<QueueStats> stats = RedisStats.read(transport, catalog.listQueues());
        return QueueStats.withDeadLetterQueues(stats, RedisStats.deadLetterTargets(transport));
    }

    @Override
    public long purge(String queue) {
        checkOpen();
        return catalog.purge(queue);
    }

    // ---------------------------------------------------------------- publish (the publisher's)

    @Override
    public void publish(OutgoingMessage message) {
        checkOpen();
        publisher.publish(message);
    }

    /** Writes without waiting; the future completes with Redis's reply(ies) ({@link TrackedPublishes}). */
    @Override
    public CompletableFuture<Void> publishTracked(OutgoingMessage message) {
        checkOpen();
        return publisher.publishTracked(message);
    }


    // ---------------------------------------------------------------- consume

    @Override
    public String consume(String queue, @Nullable String consumerTag, boolean noAck, DeliveryHandler handler) {
        checkOpen();
        Set<String> fanout = fanoutBindings.of(queue);
        String tag = consumers.add(queue, consumerTag, noAck, handler, fanout);
        transport.clientStats().start(); // a consumer record is written even before any message flows
        // A list consumer needs no barrier: its messages wait in the list, and the deferred sync pops
        // the new queue right after tracking it, before the event thread next waits. A fanout
        // consumer must be subscribed before consume() returns (pub/sub keeps nothing).
        poller.subscriptionsChanged(fanout.isEmpty() ? Sync.BEFORE_NEXT_WAIT : Sync.BEFORE_RETURN);
        return tag;
    }

    @Override
    public void cancel(String consumerTag) {
        if (consumers.cancel(consumerTag) == null) {
            return;
        }
        // Deliveries stop at once (dispatch finds no consumer and gives the message back); the
        // tracking change may wait for the next drain, so cancelling 10,000 consumers is one sync,
        // not 10,000. The last cancel applies it now, for a connection that stops draining.
        poller.subscriptionsChanged(consumers.isEmpty() ? Sync.BEFORE_RETURN : Sync.BEFORE_NEXT_WAIT);
    }

    // ---------------------------------------------------------------- what the poller asks

    /** Ends a batch of consume calls: the next one reads the fanout bindings afresh. */
    void endConsumeBatch() {
        fanoutBindings.invalidate();
    }

    /** The queues newly consumed from lists since the last call; the sync pops them once tracking covers them. */
    List<String> takeAddedQueues() {
        return consumers.takeAdded();
    }

    /** Queues consumed from lists: those not bound to a fanout exchange, which Kombu consumes by PSUBSCRIBE instead. */
    List<String> consumedListQueues() {
        return consumers.listQueues();
    }

    Set<String> fanoutExchanges() {
        return consumers.fanoutExchanges();
    }

    /** Adds the tags of the messages this channel holds under a lease to {@code out} (any thread). */
    void heldTags(List<String> out) {
        unacked.heldTags(out);
    }

    /** The event-side pop loop of this channel: wake-ups, sweeps and pops. */
    /** Makes this channel one of several sharing one prefetch limit ({@code layout=queue} cluster channels). */
    void sharePrefetch(SharedPrefetch shared) {
        unacked.sharePrefetch(shared);
        this.sharedPrefetch = shared;
        shared.add(this);
    }

    /** Acknowledged-mode messages held or reserved by this channel, for a {@link SharedPrefetch}. */
    int unackedInFlight() {
        return unacked.inFlight();
    }

    /** Room was made (ack, reject, larger prefetch...): this channel's pop, and those sharing its prefetch, run again. */
    private void capacityFreed() {
        popper.capacityFreed();
        SharedPrefetch shared = sharedPrefetch;
        if (shared != null) {
            shared.capacityFreed(this);
        }
    }

    /** This channel's pop stopped for want of room: a channel sharing its limit that makes room wakes it. */
    void noteStarved() {
        SharedPrefetch shared = sharedPrefetch;
        if (shared != null) {
            shared.starved(this);
        }
    }

    /** This channel was woken for room made in a shared limit but has nothing to pop: the next waiting one gets it. */
    void roomUnused() {
        SharedPrefetch shared = sharedPrefetch;
        if (shared != null) {
            shared.capacityFreed(this);
        }
    }

    ListPopper popper() {
        return popper;
    }

    // ---------------------------------------------------------------- dispatch

    /** Where a dispatched message comes from, which decides how it is held until settled. */
    enum Source {
        /** A pop in acknowledged mode: recorded in {@code unacked}, one reserved prefetch unit. */
        POP,
        /** A pop in no-ack mode: nothing to hold. */
        POP_NO_ACK,
        /** Pub/sub: held locally only, outside prefetch (Kombu never records fanout, §12.2). */
        FANOUT
    }

    /**
     * Hands one message to a consumer of {@code queue}; gives it back if none is left. A handler that
     * throws does not stop the batch: the failure goes to the poller, which throws the first one out of
     * {@code drainEvents} once the batch is done.
     */
    void dispatch(String queue, String sourceKey, byte[] envelope, String tag, Source source) {
        ConsumerRegistry.Registration consumer = open ? consumers.next(queue) : null;
        if (consumer == null) {
            if (source == Source.POP) {
                unacked.release(1);
            }
            if (source != Source.FANOUT) {
                unacked.giveBack(sourceKey, envelope, tag);
            }
            return;
        }
        // Held (or its reservation settled) before anything else can fail, so prefetch never leaks.
        long deliveryTag = nextTag.incrementAndGet();
        UnackedDeliveries.Held held = new UnackedDeliveries.Held(tag, sourceKey, envelope, queue);
        if (source == Source.POP && consumer.noAck()) {
            // Popped in acknowledged mode for a queue with consumers of both kinds: settled as delivered.
            unacked.release(1);
            unacked.forget(tag);
        } else if (source == Source.POP) {
            unacked.holdReserved(deliveryTag, held);
            if (deadLetterer.overLimit(queue, envelope)) {
                deadLetter(deliveryTag, DeadLetters.DELIVERY_LIMIT);
                return;
            }
        } else if (source == Source.FANOUT && !consumer.noAck()) {
            unacked.holdFanout(deliveryTag, held);
        }
        Envelope.Decoded d;
        try {
            d = Envelope.decode(envelope);
        } catch (DecodeException e) {
            log.warn("message in {} is not a Kombu envelope; delivering its raw bytes: {}", queue, e.getMessage());
            d = new Envelope.Decoded(new RawMessage(envelope, null, null, Map.of(), Map.of()), "", "", false, tag);
        }
        TransportMessage tm = new TransportMessage(d.message(), d.exchange(), d.routingKey(), d.redelivered(), deliveryTag,
                consumer.tag(), queue);
        poller.noteDelivered();
        transport.clientStats().delivered(queue);
        try {
            consumer.handler().onDelivery(tm);
        } catch (RuntimeException | Error e) {
            poller.handlerFailed(e);
        }
    }

    /** A fanout message from pub/sub: to every consumed queue of this channel bound to {@code exchange}. */
    void deliverFanout(String exchange, byte[] payload) {
        for (String q : consumers.fanoutQueues(exchange)) {
            dispatch(q, "", payload, "", Source.FANOUT);
        }
    }

    // ---------------------------------------------------------------- acknowledgement

    @Override
    public void qos(int prefetchCount) {
        unacked.setPrefetchCount(prefetchCount);
        capacityFreed();
    }

    @Override
    public void ack(long deliveryTag) {
        unacked.ack(deliveryTag);
        capacityFreed();
    }

    /** Batched on the event thread: the caller does not wait for the command connection's round trip. */
    @Override
    public void ackSoon(long deliveryTag) {
        unacked.ackSoon(deliveryTag);
        popper.capacityFreed();
    }

    @Override
    public void reject(long deliveryTag, boolean requeue) {
        if (!requeue) {
            deadLetter(deliveryTag, DeadLetters.REJECTED);
            return;
        }
        UnackedDeliveries.Held redeliver = unacked.reject(deliveryTag, requeue);
        if (redeliver != null) {
            // Pub/sub keeps nothing to requeue into: redeliver it locally to the same queue's consumer.
            poller.post(() -> dispatch(redeliver.queue(), "", Envelope.markRedelivered(redeliver.envelope()), "", Source.FANOUT));
        }
        capacityFreed();
    }

    /** Rejects without requeue: to the queue's dead-letter exchange with {@code reason} recorded, if it has one; else dropped. */
    @Override
    public void deadLetter(long deliveryTag, String reason) {
        UnackedDeliveries.Held h = unacked.take(deliveryTag);
        try {
            if (h != null) {
                deadLetterer.deadLetter(h, reason);
            }
        } finally {
            capacityFreed();
        }
    }

    @Override
    public void recover(boolean requeue) {
        unacked.restoreAll();
        capacityFreed();
    }

    // ---------------------------------------------------------------- basic get

    @Override
    public @Nullable TransportMessage get(String queue, boolean noAck) {
        checkOpen();
        List<Object> ks = new ArrayList<>(List.of(keys.unacked(), keys.unackedIndex(), keys.unackedQueues(), keys.leases()));
        ks.addAll(keys.queueKeys(queue));
        List<Object> items = Resp.array(transport.commands(c -> Script.POP.call(c, ks,
                List.of(ListPopper.scoreNow(transport.clock()), 1, noAck ? 0 : 1, 1, ListPopper.flag(noAck),
                        ListPopper.leaseUntil(transport)))));
        if (items.size() < 3) {
            return null;
        }
        int ki = (int) Resp.integer(items.get(0)) - 1;
        byte[] envelope = (byte[]) items.get(1);
        String tag = Resp.text(items.get(2));
        Envelope.Decoded d;
        try {
            d = Envelope.decode(envelope);
        } catch (DecodeException e) {
            d = new Envelope.Decoded(new RawMessage(envelope, null, null, Map.of(), Map.of()), "", "", false, tag);
        }
        long deliveryTag = nextTag.incrementAndGet();
        if (!noAck) {
            unacked.hold(deliveryTag, new UnackedDeliveries.Held(tag, keys.queue(queue, keys.steps().get(ki)), envelope, queue));
            if (deadLetterer.overLimit(queue, envelope)) {
                deadLetter(deliveryTag, DeadLetters.DELIVERY_LIMIT);
                return get(queue, noAck);
            }
        }
        transport.clientStats().delivered(queue);
        return new TransportMessage(d.message(), d.exchange(), d.routingKey(), d.redelivered(), deliveryTag, null, queue);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Adds this channel's consumers per queue to {@code into}. */
    void countConsumers(Map<String, Integer> into) {
        if (open) {
            consumers.countByQueue(into);
        }
    }

    /** Whether this channel still takes deliveries (false once close began). */
    boolean consuming() {
        return open;
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
        try {
            // Every pipelined publish is answered before close returns, so its failure is reported here.
            publisher.awaitPipelined();
            unacked.flushAcks();
            unacked.restoreAll();
        } finally {
            transport.channelClosed(this);
            SharedPrefetch shared = sharedPrefetch;
            if (shared != null) {
                shared.remove(this);
                unacked.unsharePrefetch();
                shared.capacityFreed(this); // what it held was given back: room for the others
            }
        }
        publisher.reportFailure();
    }

    @Override
    public String toString() {
        return "RedisChannel(" + transport.url().masked() + ", " + consumers.size() + " consumers)";
    }
}
