package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.ClosedException;
import org.kombu4j.DecodeException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;
import org.kombu4j.transport.DeliveryHandler;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
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
    /** Most messages one pop script takes, so one busy queue cannot make a huge reply. */
    static final int BATCH = 100;

    private final RedisTransport transport;
    private final MultiChannelPoller poller;
    private final Keys keys;
    private final RedisCatalog catalog;
    private final RedisPublisher publisher;
    private final ChannelConsumers consumers;
    private final FanoutBindings fanoutBindings;
    private final UnackedDeliveries unacked;
    private final AtomicLong nextTag = new AtomicLong();
    private volatile boolean open = true;

    // Event-thread state.
    private boolean popInFlight;
    private boolean popAgain;
    /** Queues to pop next: named by invalidate pushes, newly tracked, or left with messages by the last pop. */
    private final Set<String> popPending = new LinkedHashSet<>();
    /** Whether the next pop must visit every consumed queue (new channel, tracking rebuilt, flush, error). */
    private boolean sweep = true;
    private volatile boolean starved;
    private int rotation;

    RedisChannel(RedisTransport transport) {
        this.transport = transport;
        this.poller = transport.poller();
        this.keys = transport.keys();
        this.catalog = transport.catalog();
        this.publisher = new RedisPublisher(transport);
        this.consumers = new ChannelConsumers(keys);
        this.fanoutBindings = new FanoutBindings(transport);
        this.unacked = new UnackedDeliveries(transport);
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
            poller.subscriptionsChanged(true);
        }
    }

    @Override
    public void unbind(String queue, Binding binding) {
        checkOpen();
        catalog.unbind(queue, binding);
        if (consumers.fanoutUnbound(queue, binding.exchange().name())) {
            poller.subscriptionsChanged(true);
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


    // ---------------------------------------------------------------- consume

    @Override
    public String consume(String queue, @Nullable String consumerTag, boolean noAck, DeliveryHandler handler) {
        checkOpen();
        Set<String> fanout = fanoutBindings.of(queue);
        String tag = consumers.add(queue, consumerTag, noAck, handler, fanout);
        // A list consumer needs no barrier: its messages wait in the list, and the deferred sync pops
        // the new queue right after tracking it, before the event thread next waits. A fanout
        // consumer must be subscribed before consume() returns (pub/sub keeps nothing).
        poller.subscriptionsChanged(!fanout.isEmpty());
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
        poller.subscriptionsChanged(consumers.isEmpty());
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

    /**
     * An {@code invalidate} push named {@code touchedKeys} (event thread): remembers which of our
     * queues they belong to, so the next pop visits only those.
     *
     * @return whether any of them is ours
     */
    boolean noteTouched(Iterable<String> touchedKeys) {
        boolean any = false;
        for (String k : touchedKeys) {
            String q = consumers.queueOfKey(k);
            if (q != null) {
                popPending.add(q);
                any = true;
            }
        }
        return any;
    }

    /** The next pop visits every consumed queue (event thread): after a tracking rebuild, a flush, an error. */
    void requestSweep() {
        sweep = true;
        requestPop();
    }

    /** After a subscription sync that tracks {@code added} (event thread): pop those, or everything if tracking was rebuilt. */
    void afterSync(boolean rebuilt, List<String> added) {
        if (rebuilt) {
            sweep = true;
        } else {
            popPending.addAll(added);
        }
        requestPop();
    }

    // ---------------------------------------------------------------- pop

    /** Runs the pop script for this channel now (on the event thread) or as soon as the running one answers. */
    void requestPop() {
        if (!poller.inEventThread()) {
            poller.post(this::requestPop);
            return;
        }
        if (!open) {
            return;
        }
        if (popInFlight) {
            popAgain = true;
            return;
        }
        // Only the queues an invalidate push named (or that the last pop left non-empty) are visited;
        // a sweep over all of them only when we cannot know (new channel, tracking rebuilt, flush,
        // error). A wake-up then costs the same for 1 queue or 10,000.
        List<String> queues;
        boolean sweeping = sweep;
        if (sweeping) {
            queues = consumers.listQueues();
        } else {
            if (popPending.isEmpty()) {
                return;
            }
            queues = new ArrayList<>(popPending.size());
            for (String q : popPending) {
                if (consumers.poppable(q)) {
                    queues.add(q);
                }
            }
        }
        if (queues.isEmpty()) {
            sweep = false;
            popPending.clear();
            return;
        }
        // Kombu's round_robin: the queue order rotates on every pop so none is starved.
        int nq = queues.size();
        int shift = Math.floorMod(rotation++, nq);
        List<String> rotated = new ArrayList<>(queues.subList(shift, nq));
        rotated.addAll(queues.subList(0, shift));
        boolean[] noAck = new boolean[nq];
        boolean anyNoAck = false;
        boolean anyAcked = false;
        for (int i = 0; i < nq; i++) {
            noAck[i] = consumers.noAck(rotated.get(i));
            anyNoAck |= noAck[i];
            anyAcked |= !noAck[i];
        }
        // Reserved, not just read: messages this pop brings count against prefetch while its reply
        // is on the wire, so a pop sent meanwhile (the overlap below) cannot overshoot the limit.
        int maxAcked = anyAcked ? unacked.reserve(BATCH) : 0;
        if (maxAcked == 0 && !anyNoAck) {
            starved = true; // sweep/popPending stay as they are for when capacity frees
            return;
        }
        sweep = false;
        popPending.clear();
        List<Object> ks = new ArrayList<>(List.of(keys.unacked(), keys.unackedIndex(), keys.unackedQueues()));
        for (int step : keys.steps()) {
            for (String q : rotated) {
                ks.add(keys.queue(q, step));
            }
        }
        List<Object> args = new ArrayList<>(List.of(nowSeconds(), BATCH, maxAcked, nq));
        for (boolean na : noAck) {
            args.add(na ? POP_NO_ACK : POP_ACKED);
        }
        popInFlight = true;
        Script.POP.send(transport.events(), ks, args, poller::flushEvents,
                reply -> onPopReply(rotated, sweeping, noAck, maxAcked, reply));
        poller.flushEvents();
    }

    /** The pop script's per-queue flag: take without recording in {@code unacked}. */
    private static final String POP_NO_ACK = "1";
    /** The pop script's per-queue flag: record each message taken in {@code unacked}. */
    private static final String POP_ACKED = "0";

    /**
     * The {@code unacked_index} score of a delivery: now in whole seconds, rounded up. Whole numbers are
     * stored as integers in a small sorted set, and Redis then inserts without parsing a float per
     * member (measured: about a fifth of the pop script's time); rounding up means a message is restored
     * at most a second after its visibility timeout, never before it.
     */
    private String nowSeconds() {
        return Long.toString((transport.clock().millis() + 999) / 1000);
    }

    private void onPopReply(List<String> queues, boolean swept, boolean[] noAck, int maxAcked, @Nullable Object reply) {
        popInFlight = false;
        if (reply instanceof RespError) {
            unacked.release(maxAcked);
            if (!open || !transport.isConnected()) {
                return; // closing: the connection went away under an in-flight pop
            }
            log.warn("Redis pop script failed: {}", ((RespError) reply).message());
            sweep = true; // we do not know what it left: the next wake-up visits everything
            return;
        }
        List<Object> items = Resp.array(reply);
        int nq = queues.size();
        int total = items.size() / 3;
        int acked = 0;
        for (int i = 0; i + 2 < items.size(); i += 3) {
            if (!noAck[((int) Resp.integer(items.get(i)) - 1) % nq]) {
                acked++;
            }
        }
        // What the pop did not take is free again at once; each message it took holds its unit until
        // dispatch holds the message (or gives it back).
        unacked.release(maxAcked - acked);
        boolean limited = total >= BATCH || (maxAcked > 0 && acked >= maxAcked);
        if (limited) {
            // The pop stopped at its limit, so the lists it visited may hold more; no push will say so
            // (nobody wrote to them). Visit them again: now if the batch was full, else when capacity frees.
            if (swept) {
                sweep = true;
            } else {
                popPending.addAll(queues);
            }
        }
        // Halfway through a full batch the acknowledgements so far are sent and the next pop is asked
        // for, so Redis runs it while the second half is handled here (within the prefetch limit).
        int overlapAt = limited && total >= 8 ? total / 2 : -1;
        int n = 0;
        for (int i = 0; i + 2 < items.size(); i += 3) {
            int ki = (int) Resp.integer(items.get(i)) - 1;
            String queue = queues.get(ki % nq);
            int step = keys.steps().get(ki / nq);
            String tag = Resp.text(items.get(i + 2));
            dispatch(queue, keys.queue(queue, step), (byte[]) items.get(i + 1), tag, noAck[ki % nq] ? Source.POP_NO_ACK : Source.POP);
            if (++n == overlapAt && open) {
                unacked.flushAcks();
                requestPop();
            }
        }
        unacked.flushAcks();
        if (total >= BATCH || popAgain) {
            popAgain = false;
            requestPop();
        } else if (maxAcked > 0 && acked >= maxAcked && !popInFlight) {
            starved = true;
        }
    }

    // ---------------------------------------------------------------- dispatch

    /** Where a dispatched message comes from, which decides how it is held until settled. */
    private enum Source {
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
    private void dispatch(String queue, String sourceKey, byte[] envelope, String tag, Source source) {
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
        Envelope.Decoded d;
        try {
            d = Envelope.decode(envelope);
        } catch (DecodeException e) {
            log.warn("message in {} is not a Kombu envelope; delivering its raw bytes: {}", queue, e.getMessage());
            d = new Envelope.Decoded(new RawMessage(envelope, null, null, Map.of(), Map.of()), "", "", false, tag);
        }
        long deliveryTag = nextTag.incrementAndGet();
        UnackedDeliveries.Held held = new UnackedDeliveries.Held(tag, sourceKey, envelope, queue);
        if (source == Source.POP && consumer.noAck()) {
            // Popped in acknowledged mode for a queue with consumers of both kinds: settled as delivered.
            unacked.release(1);
            unacked.forget(tag);
        } else if (source == Source.POP) {
            unacked.holdReserved(deliveryTag, held);
        } else if (source == Source.FANOUT && !consumer.noAck()) {
            unacked.holdFanout(deliveryTag, held);
        }
        TransportMessage tm = new TransportMessage(d.message(), d.exchange(), d.routingKey(), d.redelivered(), deliveryTag,
                consumer.tag(), queue);
        poller.noteDelivered();
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

    private void capacityFreed() {
        if (starved && open) {
            starved = false;
            poller.post(this::requestPop);
        }
    }

    @Override
    public void ack(long deliveryTag) {
        unacked.ack(deliveryTag);
        capacityFreed();
    }

    @Override
    public void reject(long deliveryTag, boolean requeue) {
        UnackedDeliveries.Held redeliver = unacked.reject(deliveryTag, requeue);
        if (redeliver != null) {
            // Pub/sub keeps nothing to requeue into: redeliver it locally to the same queue's consumer.
            poller.post(() -> dispatch(redeliver.queue(), "", Envelope.markRedelivered(redeliver.envelope()), "", Source.FANOUT));
        }
        capacityFreed();
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
        List<Object> ks = new ArrayList<>(List.of(keys.unacked(), keys.unackedIndex(), keys.unackedQueues()));
        ks.addAll(keys.queueKeys(queue));
        List<Object> items = Resp.array(transport.commands(c -> Script.POP.call(c, ks,
                List.of(nowSeconds(), 1, noAck ? 0 : 1, 1, noAck ? POP_NO_ACK : POP_ACKED))));
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
        }
        return new TransportMessage(d.message(), d.exchange(), d.routingKey(), d.redelivered(), deliveryTag, null, queue);
    }

    // ---------------------------------------------------------------- lifecycle

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
        }
        publisher.reportFailure();
    }

    @Override
    public String toString() {
        return "RedisChannel(" + transport.url().masked() + ", " + consumers.size() + " consumers)";
    }
}
