package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.ClosedException;
import org.kombu4j.DecodeException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.MessageStateException;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;
import org.kombu4j.transport.DeliveryHandler;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;
import org.kombu4j.transport.virtual.QoS;
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
    private final QoS<Held> qos = new QoS<>();
    private final Map<Long, Held> fanoutHeld = new ConcurrentHashMap<>();
    private final AtomicLong nextTag = new AtomicLong();
    private final AtomicLong nextConsumer = new AtomicLong();
    private final Map<String, ConsumerEntry> consumers = new LinkedHashMap<>();
    private final Map<String, Set<String>> fanoutByQueue = new HashMap<>();
    /** Consumers by queue, in first-consumed order: dispatch and the pop's no-ack flags look up here, never scan. */
    private final Map<String, List<ConsumerEntry>> byQueue = new LinkedHashMap<>();
    private final List<String> pendingAcks = new ArrayList<>();
    /**
     * Every priority list of every queue consumed from lists, to its queue. Maintained per queue on
     * consume/cancel/bind (never rebuilt whole), so 10,000 consume calls stay linear; read by the
     * event thread to map an {@code invalidate} push to the queues it touched.
     */
    private final Map<String, String> watchedKeys = new ConcurrentHashMap<>();
    /** Queues newly consumed from lists since the last subscription sync: popped right after it. */
    private final Set<String> addedQueues = new LinkedHashSet<>();
    private @Nullable List<String> listQueuesSnapshot;
    /** Fanout exchange → queues bound to it, read once per batch of consume calls (see {@link #fanoutExchangesBinding}). */
    private volatile @Nullable FanoutSnapshot fanoutSnapshot;
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
    private int roundRobin;

    /** An unacknowledged delivery: Kombu's tag, the list it came from and its envelope, to ack or restore it. */
    private record Held(String tag, String sourceKey, byte[] envelope, boolean fanout, String queue) {
    }

    private record ConsumerEntry(String tag, String queue, boolean noAck, DeliveryHandler handler) {
    }

    private record FanoutSnapshot(long readAtNanos, Map<String, Set<String>> exchangesByQueue) {
    }

    /** How long a fanout-binding snapshot may serve consume calls if no subscription sync ends the batch first. */
    private static final long FANOUT_SNAPSHOT_NANOS = 1_000_000_000L;

    RedisChannel(RedisTransport transport) {
        this.transport = transport;
        this.poller = transport.poller();
        this.keys = transport.keys();
        this.catalog = transport.catalog();
        this.publisher = new RedisPublisher(transport);
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
        if (ex.type() == ExchangeType.FANOUT) {
            boolean changed;
            synchronized (this) {
                changed = consumesQueue(queue) && fanoutByQueue.computeIfAbsent(queue, q -> new HashSet<>()).add(ex.name());
                updateWatch(queue);
            }
            if (changed) {
                poller.subscriptionsChanged(true);
            }
        }
    }

    @Override
    public void unbind(String queue, Binding binding) {
        checkOpen();
        catalog.unbind(queue, binding);
        String ex = binding.exchange().name();
        boolean changed;
        synchronized (this) {
            Set<String> f = fanoutByQueue.get(queue);
            changed = f != null && f.remove(ex);
        }
        if (changed) {
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
        String tag = consumerTag != null ? consumerTag : "ctag-" + nextConsumer.incrementAndGet();
        Set<String> fanout = fanoutExchangesBinding(queue);
        synchronized (this) {
            if (consumers.containsKey(tag)) {
                throw new KombuException("consumer tag '" + tag + "' is already in use on this channel");
            }
            ConsumerEntry entry = new ConsumerEntry(tag, queue, noAck, handler);
            consumers.put(tag, entry);
            byQueue.computeIfAbsent(queue, q -> new ArrayList<>()).add(entry);
            if (!fanout.isEmpty()) {
                fanoutByQueue.computeIfAbsent(queue, q -> new HashSet<>()).addAll(fanout);
            }
            updateWatch(queue);
        }
        // A list consumer needs no barrier: its messages wait in the list, and the deferred sync pops
        // the new queue right after tracking it, before the event thread next waits. A fanout
        // consumer must be subscribed before consume() returns (pub/sub keeps nothing).
        poller.subscriptionsChanged(!fanout.isEmpty());
        return tag;
    }

    /** The fanout exchanges (by {@code _kombu4j.exchange.types}) with a binding row for {@code queue}. */
    private Set<String> fanoutExchangesBinding(String queue) {
        // One read of the types hash and the fanout binding sets serves a whole batch of consume
        // calls (10,000 queues = 1 read, not 10,000): it is dropped by the next subscription sync,
        // by any declare/bind/unbind on this channel, and after a second.
        FanoutSnapshot snap = fanoutSnapshot;
        if (snap == null || transport.ticker().nanoTime() - snap.readAtNanos() > FANOUT_SNAPSHOT_NANOS) {
            snap = readFanoutBindings();
            fanoutSnapshot = snap;
        }
        return snap.exchangesByQueue().getOrDefault(queue, Set.of());
    }

    /** Ends a batch of consume calls: the next one reads the fanout bindings afresh. */
    void endConsumeBatch() {
        fanoutSnapshot = null;
    }

    private FanoutSnapshot readFanoutBindings() {
        long now = transport.ticker().nanoTime();
        List<Object> types = Resp.array(transport.commands(c -> c.call(List.of("HGETALL", keys.exchangeTypes()))));
        List<String> fanouts = new ArrayList<>();
        for (int i = 0; i + 1 < types.size(); i += 2) {
            if ("fanout".equals(Resp.text(types.get(i + 1)))) {
                fanouts.add(Resp.text(types.get(i)));
            }
        }
        if (fanouts.isEmpty()) {
            return new FanoutSnapshot(now, Map.of());
        }
        List<List<Object>> cmds = new ArrayList<>();
        for (String f : fanouts) {
            cmds.add(List.of("SMEMBERS", keys.bindings(f)));
        }
        List<Object> r = transport.commands(c -> c.pipeline(cmds));
        Map<String, Set<String>> out = new HashMap<>();
        String sep = keys.sep();
        for (int i = 0; i < fanouts.size(); i++) {
            for (Object m : Resp.array(r.get(i))) {
                BindingMember b = BindingMember.parse(Resp.text(m), sep);
                if (b != null) {
                    out.computeIfAbsent(b.queue(), q -> new LinkedHashSet<>()).add(fanouts.get(i));
                }
            }
        }
        return new FanoutSnapshot(now, out);
    }

    private boolean consumesQueue(String queue) {
        return byQueue.containsKey(queue);
    }

    /** Brings {@link #watchedKeys} up to date for one queue (caller holds the lock). */
    private void updateWatch(String queue) {
        listQueuesSnapshot = null;
        boolean list = byQueue.containsKey(queue) && !fanoutByQueue.containsKey(queue);
        for (String k : keys.queueKeys(queue)) {
            if (list) {
                if (watchedKeys.putIfAbsent(k, queue) == null && k.equals(keys.queue(queue, keys.steps().get(0)))) {
                    addedQueues.add(queue);
                }
            } else {
                watchedKeys.remove(k);
            }
        }
        if (!list) {
            addedQueues.remove(queue);
        }
    }

    /** The queues newly consumed from lists since the last call; the sync pops them once tracking covers them. */
    synchronized List<String> takeAddedQueues() {
        List<String> out = new ArrayList<>(addedQueues);
        addedQueues.clear();
        return out;
    }

    @Override
    public void cancel(String consumerTag) {
        boolean last;
        synchronized (this) {
            ConsumerEntry removed = consumers.remove(consumerTag);
            if (removed == null) {
                return;
            }
            List<ConsumerEntry> l = byQueue.get(removed.queue);
            if (l != null) {
                l.remove(removed);
                if (l.isEmpty()) {
                    byQueue.remove(removed.queue);
                }
            }
            if (!consumesQueue(removed.queue)) {
                fanoutByQueue.remove(removed.queue);
            }
            updateWatch(removed.queue);
            last = consumers.isEmpty();
        }
        // Deliveries stop at once (dispatch finds no consumer and gives the message back); the
        // tracking change may wait for the next drain, so cancelling 10,000 consumers is one sync,
        // not 10,000. The last cancel applies it now, for a connection that stops draining.
        poller.subscriptionsChanged(last);
    }

    /**
     * Queues consumed from lists: those not bound to a fanout exchange, which Kombu consumes by
     * PSUBSCRIBE instead.
     */
    synchronized List<String> consumedListQueues() {
        List<String> out = listQueuesSnapshot;
        if (out == null) {
            out = new ArrayList<>(byQueue.size());
            for (String q : byQueue.keySet()) {
                if (!fanoutByQueue.containsKey(q)) {
                    out.add(q);
                }
            }
            out = Collections.unmodifiableList(out);
            listQueuesSnapshot = out;
        }
        return out;
    }

    synchronized Set<String> fanoutExchanges() {
        Set<String> out = new HashSet<>();
        fanoutByQueue.values().forEach(out::addAll);
        return out;
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
            String q = watchedKeys.get(k);
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
            queues = consumedListQueues();
        } else {
            if (popPending.isEmpty()) {
                return;
            }
            queues = new ArrayList<>(popPending.size());
            synchronized (this) {
                for (String q : popPending) {
                    if (byQueue.containsKey(q) && !fanoutByQueue.containsKey(q)) {
                        queues.add(q);
                    }
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
        List<String> noAckFlags = new ArrayList<>(nq);
        boolean anyNoAck = false;
        boolean anyAcked = false;
        synchronized (this) {
            for (String q : rotated) {
                List<ConsumerEntry> cs = byQueue.get(q);
                boolean na = cs != null && !cs.isEmpty() && cs.get(0).noAck;
                anyNoAck |= na;
                anyAcked |= !na;
                noAckFlags.add(na ? "1" : "0");
            }
        }
        // Reserved, not just read: messages this pop brings count against prefetch while its reply
        // is on the wire, so a pop sent meanwhile (the overlap below) cannot overshoot the limit.
        int maxAcked = anyAcked ? qos.reserve(BATCH) : 0;
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
        List<Object> args = new ArrayList<>();
        args.add(nowSeconds());
        args.add(BATCH);
        args.add(maxAcked);
        args.add(nq);
        args.addAll(noAckFlags);
        popInFlight = true;
        RedisConnection ev = transport.events();
        Script.POP.send(ev, ks, args, poller::flushEvents,
                reply -> onPopReply(rotated, sweeping, noAckFlags, maxAcked, reply));
        poller.flushEvents();
    }

    /**
     * The {@code unacked_index} score of a delivery: now in whole seconds, rounded up. Whole numbers are
     * stored as integers in a small sorted set, and Redis then inserts without parsing a float per
     * member (measured: about a fifth of the pop script's time); rounding up means a message is restored
     * at most a second after its visibility timeout, never before it.
     */
    private String nowSeconds() {
        return Long.toString((transport.clock().millis() + 999) / 1000);
    }

    private void onPopReply(List<String> queues, boolean swept, List<String> noAckFlags, int maxAcked,
            @Nullable Object reply) {
        popInFlight = false;
        if (reply instanceof RespError) {
            qos.release(maxAcked);
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
            if (noAckFlags.get(((int) Resp.integer(items.get(i)) - 1) % nq).equals("0")) {
                acked++;
            }
        }
        // What the pop did not take is free again at once; each message it took holds its unit until
        // dispatch appends it (or gives it back).
        qos.release(maxAcked - acked);
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
            boolean noAck = noAckFlags.get(ki % nq).equals("1");
            dispatch(queue, keys.queue(queue, step), (byte[]) items.get(i + 1), tag, noAck ? Source.POP_NO_ACK : Source.POP);
            if (++n == overlapAt && open) {
                flushAcks();
                requestPop();
            }
        }
        flushAcks();
        if (total >= BATCH || popAgain) {
            popAgain = false;
            requestPop();
        } else if (maxAcked > 0 && acked >= maxAcked && !popInFlight) {
            starved = true;
        }
    }

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
        boolean fanout = source == Source.FANOUT;
        ConsumerEntry consumer = null;
        synchronized (this) {
            List<ConsumerEntry> matching = byQueue.getOrDefault(queue, List.of());
            if (!matching.isEmpty()) {
                consumer = matching.get(Math.floorMod(roundRobin++, matching.size()));
            }
        }
        if (consumer == null || !open) {
            if (source == Source.POP) {
                qos.release(1);
            }
            if (!fanout) {
                giveBack(sourceKey, envelope, tag);
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
        Held h = new Held(tag, sourceKey, envelope, fanout, queue);
        if (consumer.noAck) {
            if (source == Source.POP) {
                qos.release(1);
            }
        } else if (source == Source.POP) {
            qos.appendReserved(deliveryTag, h);
        } else if (fanout) {
            fanoutHeld.put(deliveryTag, h);
        }
        TransportMessage tm = new TransportMessage(d.message(), d.exchange(), d.routingKey(), d.redelivered(), deliveryTag,
                consumer.tag, queue);
        poller.noteDelivered();
        try {
            consumer.handler.onDelivery(tm);
        } catch (RuntimeException | Error e) {
            poller.handlerFailed(e);
        }
    }

    /** A message popped for a consumer that has gone: back to the front of its list, not marked redelivered. */
    private void giveBack(String sourceKey, byte[] envelope, String tag) {
        try {
            if (tag.isEmpty()) {
                transport.commands(c -> RedisTransport.check(c.call(List.of("RPUSH", sourceKey, envelope)), "RPUSH"));
            } else {
                transport.restorer().restore(RestoreEnd.FRONT, List.of(new UnackedRestorer.Restore(tag, List.of(sourceKey), envelope)));
            }
        } catch (KombuException e) {
            log.warn("could not give back a message to {} (it is restored after visibility_timeout): {}", sourceKey, e.getMessage());
        }
    }

    /** A fanout message from pub/sub: to every consumed queue of this channel bound to {@code exchange}. */
    void deliverFanout(String exchange, byte[] payload) {
        List<String> queues = new ArrayList<>();
        synchronized (this) {
            fanoutByQueue.forEach((q, exs) -> {
                if (exs.contains(exchange)) {
                    queues.add(q);
                }
            });
        }
        Collections.sort(queues);
        for (String q : queues) {
            dispatch(q, "", payload, "", Source.FANOUT);
        }
    }

    // ---------------------------------------------------------------- acknowledgement

    @Override
    public void qos(int prefetchCount) {
        qos.setPrefetchCount(prefetchCount);
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
        Held h = qos.remove(deliveryTag);
        if (h == null) {
            h = fanoutHeld.remove(deliveryTag);
            if (h == null) {
                throw new MessageStateException("unknown delivery tag " + deliveryTag
                        + ": already acknowledged, or not from this channel");
            }
            return; // fanout deliveries are never recorded in unacked (§12.2)
        }
        synchronized (pendingAcks) {
            pendingAcks.add(h.tag);
        }
        // On the event thread acks are batched and sent after the dispatch; elsewhere at once.
        if (!poller.inEventThread()) {
            flushAcks();
        }
        capacityFreed();
    }

    /** Sends buffered acknowledgements: one HDEL/ZREM/HDEL round trip for the whole batch. */
    void flushAcks() {
        List<String> tags;
        synchronized (pendingAcks) {
            if (pendingAcks.isEmpty()) {
                return;
            }
            tags = new ArrayList<>(pendingAcks);
            pendingAcks.clear();
        }
        List<Object> hdel = new ArrayList<>(List.of("HDEL", keys.unacked()));
        List<Object> zrem = new ArrayList<>(List.of("ZREM", keys.unackedIndex()));
        List<Object> hdelq = new ArrayList<>(List.of("HDEL", keys.unackedQueues()));
        hdel.addAll(tags);
        zrem.addAll(tags);
        hdelq.addAll(tags);
        transport.commands(c -> c.pipeline(List.of(hdel, zrem, hdelq)));
    }

    @Override
    public void reject(long deliveryTag, boolean requeue) {
        Held h = qos.remove(deliveryTag);
        if (h == null) {
            h = fanoutHeld.remove(deliveryTag);
            if (h == null) {
                throw new MessageStateException("unknown delivery tag " + deliveryTag + ": already settled, or not from this channel");
            }
            if (requeue) {
                // Pub/sub keeps nothing to requeue into: redeliver it locally to the same queue's consumer.
                Held f = h;
                poller.post(() -> dispatch(f.queue, "", Envelope.markRedelivered(f.envelope), "", Source.FANOUT));
            }
            return;
        }
        if (requeue) {
            // Kombu's reject-requeue LPUSHes: the message goes to the back of the queue (§6).
            transport.restorer().restore(RestoreEnd.BACK, List.of(new UnackedRestorer.Restore(h.tag, List.of(h.sourceKey),
                    Envelope.markRedelivered(h.envelope))));
        } else {
            synchronized (pendingAcks) {
                pendingAcks.add(h.tag);
            }
            flushAcks();
        }
        capacityFreed();
    }

    @Override
    public void recover(boolean requeue) {
        restoreAll();
        capacityFreed();
    }

    /** Every unacknowledged message back to the consuming end of its list, marked redelivered, oldest next. */
    private void restoreAll() {
        fanoutHeld.clear();
        List<Held> all = qos.drain();
        if (all.isEmpty()) {
            return;
        }
        List<UnackedRestorer.Restore> items = new ArrayList<>(all.size());
        for (int i = all.size() - 1; i >= 0; i--) {
            Held h = all.get(i);
            items.add(new UnackedRestorer.Restore(h.tag, List.of(h.sourceKey), Envelope.markRedelivered(h.envelope)));
        }
        transport.restorer().restore(RestoreEnd.FRONT, items);
    }

    // ---------------------------------------------------------------- basic get

    @Override
    public @Nullable TransportMessage get(String queue, boolean noAck) {
        checkOpen();
        List<Object> ks = new ArrayList<>(List.of(keys.unacked(), keys.unackedIndex(), keys.unackedQueues()));
        ks.addAll(keys.queueKeys(queue));
        List<Object> items = Resp.array(transport.commands(c -> Script.POP.call(c, ks,
                List.of(nowSeconds(), 1, noAck ? 0 : 1, 1, noAck ? "1" : "0"))));
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
            qos.append(deliveryTag, new Held(tag, keys.queue(queue, keys.steps().get(ki)), envelope, false, queue));
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
        synchronized (this) {
            consumers.clear();
            byQueue.clear();
            fanoutByQueue.clear();
            watchedKeys.clear();
            addedQueues.clear();
            listQueuesSnapshot = null;
        }
        try {
            // Every pipelined publish is answered before close returns, so its failure is reported here.
            publisher.awaitPipelined();
            flushAcks();
            restoreAll();
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
