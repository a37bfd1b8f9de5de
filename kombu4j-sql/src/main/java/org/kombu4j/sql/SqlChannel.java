package org.kombu4j.sql;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.NotFoundException;
import org.kombu4j.Queue;
import org.kombu4j.transport.Unroutable;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.QueueStats;
import org.kombu4j.transport.virtual.DeadLetterPolicy;
import org.kombu4j.transport.virtual.EnvelopeWriter;
import org.kombu4j.transport.virtual.ExchangeRouter;
import org.kombu4j.transport.virtual.StoredMessage;
import org.kombu4j.transport.virtual.VirtualChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel on the SQL transport. Declarations and publishes run on the caller's thread through the
 * transport's control connection; a publish is one {@code INSERT ... SELECT} that routes in the
 * database, so a binding made by another process counts at once. Deliveries come from rows the
 * transport's {@link Fetcher} claimed for this channel and parked here ({@link #accept}); the
 * channel's receipt on each message is its row id, which an ack deletes and a restore makes ready again.
 */
final class SqlChannel extends VirtualChannel {
    private static final Logger log = LoggerFactory.getLogger(SqlChannel.class);
    private final SqlTransport transport;
    private final ExchangeRouter router = new ExchangeRouter();
    /**
     * Claimed rows waiting for a consumer of this channel, per queue; guarded by itself. Each is a
     * {@link SqlStore.Claimed} row as the fetcher read it, decoded only when delivered (on the delivering thread, so
     * the fetcher's next claim need not wait for the decoding), or a {@link StoredMessage} put back in front.
     */
    private final Map<String, ArrayDeque<Object>> parked = new HashMap<>();
    private final AtomicInteger parkedCount = new AtomicInteger();
    /** The prefetch set by {@link #qos} (0: unlimited), which the fetcher splits into two claims. */
    private volatile int prefetchWindow;
    /** Ids collected by {@link #restoreAll} on this thread, to release in one statement. */
    private final ThreadLocal<@Nullable List<Long>> collecting = new ThreadLocal<>();

    SqlChannel(SqlTransport transport) {
        this.transport = transport;
    }

    // ---------------------------------------------------------------- storage: exchanges, bindings, queues

    @Override
    protected @Nullable ExchangeType exchangeType(String exchange) {
        return transport.exchangeType(exchange);
    }

    @Override
    protected void storeExchange(Exchange exchange) {
        transport.control("declare exchange '" + exchange.name() + "'", s -> {
            s.catalog().storeExchange(exchange.name(), exchange.type());
            return null;
        });
        transport.rememberExchange(exchange.name(), exchange.type());
    }

    @Override
    protected void removeExchange(String exchange) {
        transport.control("delete exchange '" + exchange + "'", s -> {
            s.catalog().removeExchange(exchange);
            return null;
        });
        transport.forgetExchange(exchange);
    }

    @Override
    protected Collection<ExchangeRouter.Row> bindings(String exchange) {
        return transport.control("read the bindings of exchange '" + exchange + "'", s -> s.catalog().bindings(exchange));
    }

    @Override
    protected void storeBinding(String exchange, ExchangeRouter.Row row) {
        transport.control("bind queue '" + row.queue() + "' to exchange '" + exchange + "'", s -> {
            s.catalog().storeBinding(exchange, row);
            return null;
        });
    }

    @Override
    protected void removeBinding(String exchange, ExchangeRouter.Row row) {
        transport.control("unbind queue '" + row.queue() + "' from exchange '" + exchange + "'", s -> {
            s.catalog().removeBinding(exchange, row);
            return null;
        });
    }

    @Override
    protected QueueInfo storeQueue(Queue queue, boolean passive) {
        String name = queue.name();
        return transport.control("declare queue '" + name + "'", s -> {
            Long id = passive ? s.catalog().queueId(name) : Long.valueOf(s.catalog().createQueue(name));
            if (id == null) {
                throw new NotFoundException("queue '" + name + "' not found (passive declare)");
            }
            transport.rememberQueue(name, id);
            DeadLetterPolicy policy = DeadLetterPolicy.of(queue);
            if (!passive && policy != null) {
                s.catalog().storeDeadLetterPolicy(name, policy);
                transport.rememberDeadLetterPolicy(name, policy);
            }
            return new QueueInfo(name, s.catalog().countReady(id), -1);
        });
    }

    @Override
    protected boolean hasQueue(String queue) {
        return transport.queueId(queue) != null;
    }

    @Override
    protected void removeQueue(String queue) {
        transport.control("delete queue '" + queue + "'", s -> s.catalog().deleteQueue(queue));
        transport.forgetQueue(queue);
    }

    @Override
    protected long purgeQueue(String queue) {
        Long id = transport.queueId(queue);
        if (id == null) {
            throw new NotFoundException("cannot purge queue '" + queue + "': not found");
        }
        return transport.control("purge queue '" + queue + "'", s -> s.catalog().purge(id));
    }

    @Override
    public List<QueueInfo> listQueues() {
        checkOpen();
        return transport.control("list queues", s -> s.catalog().listQueues());
    }

    @Override
    public List<QueueStats> queueStats() {
        checkOpen();
        List<QueueStats> stats = transport.control("read queue statistics", s -> s.catalog().queueStats(System.currentTimeMillis()));
        return QueueStats.withDeadLetterQueues(stats, deadLetterTargets(stats.stream().map(QueueStats::name).toList()));
    }

    /** Read fresh for each sample (one query), not from the per-queue cache: another process may have declared them. */
    @Override
    protected Map<String, DeadLetterPolicy> deadLetterPolicies(Collection<String> queues) {
        Map<String, DeadLetterPolicy> all = transport.control("read the queues' arguments", s -> s.catalog().deadLetterPolicies());
        all.keySet().retainAll(new java.util.HashSet<>(queues));
        return all;
    }

    // ---------------------------------------------------------------- publishing

    @Override
    public void publish(OutgoingMessage message) {
        checkOpen();
        String ex = message.exchange();
        String rk = message.routingKey();
        SqlInserts.Route route;
        if (ex.isEmpty()) {
            route = new SqlInserts.ToQueue(rk);
        } else {
            ExchangeType type = exchangeType(ex);
            if (type == null) {
                throw new NotFoundException("cannot publish to exchange '" + ex + "': not declared");
            }
            route = switch (type) {
                case DIRECT -> new SqlInserts.Direct(ex, rk);
                case FANOUT -> new SqlInserts.Fanout(ex);
                default -> new SqlInserts.ToQueues(List.copyOf(router.route(type, bindings(ex), rk, message.content().headers())));
            };
        }
        byte[] payload = EnvelopeWriter.encode(ex, rk, message.content());
        int priority = priorityOf(message.content().properties());
        long at = message.deliverAt();
        long deliverAt = at != 0 && at > System.currentTimeMillis() ? at : 0; // one already due is an ordinary row
        if (transport.pipelined()) {
            transport.batcher().submit(new SqlInserts.Pending(route, payload, priority, deliverAt), message);
            countPublished(route); // as sent: a failure is thrown by a later publish
            return;
        }
        int rows = transport.control("publish to exchange '" + ex + "' with routing key '" + rk + "'",
                s -> s.inserts().insert(route, payload, priority, deliverAt));
        if (rows == 0) {
            if (message.mandatory()) {
                throw Unroutable.returned(ex, rk);
            }
            Unroutable.dropped(ex, rk);
        }
        if (rows > 0) {
            transport.published(deliverAt);
            countPublished(route);
        }
    }

    /**
     * Counts a publish for a monitor where the client knows the queues; a direct or fanout exchange routes in the
     * INSERT itself, so those messages show only in the queues' depth (a lower bound).
     */
    private void countPublished(SqlInserts.Route route) {
        if (route instanceof SqlInserts.ToQueue t) {
            transport.clientStats().published(t.queue());
        } else if (route instanceof SqlInserts.ToQueues t) {
            for (String q : t.queues()) {
                transport.clientStats().published(q);
            }
        }
    }

    @Override
    protected void onDelivered(String queue) {
        transport.clientStats().delivered(queue);
    }

    static int priorityOf(Map<String, Object> properties) {
        Object p = properties.get("priority");
        if (p instanceof Number n) {
            return Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, n.intValue()));
        }
        return 0;
    }

    @Override
    protected @Nullable DeadLetterPolicy deadLetterPolicy(String queue) {
        return transport.deadLetterPolicy(queue);
    }

    @Override
    protected boolean countsDeliveries() {
        return true; // delivery_count, raised by every claim: kept across requeues, lease expiries and processes
    }

    @Override
    protected void moveToDeadLetters(Unacked original, Set<String> targets, StoredMessage dead) {
        if (!(original.message().receipt() instanceof Long id)) {
            super.moveToDeadLetters(original, targets, dead);
            return;
        }
        byte[] payload = EnvelopeWriter.encode(dead.exchange(), dead.routingKey(), dead.content());
        int priority = priorityOf(dead.content().properties());
        SqlInserts.Route route = new SqlInserts.ToQueues(List.copyOf(targets));
        try {
            transport.control("dead-letter a message of queue '" + original.queue() + "'", s -> s.deadLetter(id, route, payload, priority));
        } catch (KombuException e) {
            // Often on a delivery (the delivery limit), where the consumer has no say: the row stays in its queue,
            // comes back when its lease ends, and is dead-lettered then.
            transport.abandon(id);
            log.warn("could not dead-letter a message of queue '{}' ({}); it returns to the queue when its lease ends",
                    original.queue(), e.getMessage());
            return;
        }
        transport.deadLettered(id, !targets.isEmpty());
    }

    @Override
    protected void put(String queue, StoredMessage message) {
        byte[] payload = EnvelopeWriter.encode(message.exchange(), message.routingKey(), message.content());
        int priority = priorityOf(message.content().properties());
        transport.control("publish to queue '" + queue + "'", s -> s.inserts().insert(new SqlInserts.ToQueue(queue), payload, priority));
    }

    // ---------------------------------------------------------------- consuming

    /**
     * Parks rows the fetcher claimed for this channel's consumers of {@code queue}; false if the channel
     * closed or its last consumer of the queue left since the fetcher looked (the fetcher gives them back).
     * Checked under the lock that {@link #onConsumerRemoved} and {@link #close} take after their change,
     * so rows are either parked before they empty the queue's parking or refused here: never stranded.
     */
    boolean accept(String queue, List<SqlStore.Claimed> messages) {
        synchronized (parked) {
            if (!isOpen() || !consumes(queue)) {
                return false;
            }
            parked.computeIfAbsent(queue, q -> new ArrayDeque<>()).addAll(messages);
            parkedCount.addAndGet(messages.size());
        }
        return true;
    }

    /** How many claimed rows wait here for a consumer. */
    int parkedCount() {
        return parkedCount.get();
    }

    @Override
    public void qos(int prefetchCount) {
        prefetchWindow = prefetchCount;
        super.qos(prefetchCount);
    }

    /** The prefetch this channel's consumers asked for; 0 if unlimited. */
    int prefetchWindow() {
        return prefetchWindow;
    }

    @Override
    protected @Nullable StoredMessage poll(String queue) {
        Object m;
        synchronized (parked) {
            ArrayDeque<Object> d = parked.get(queue);
            m = d == null ? null : d.pollFirst();
            if (m != null && parkedCount.decrementAndGet() == 0) {
                transport.parkedDrained();
            }
        }
        if (m != null) {
            return m instanceof SqlStore.Claimed c ? SqlTransport.toMessage(c) : (StoredMessage) m;
        }
        if (consumes(queue)) {
            return null; // the fetcher claims for consumed queues; a get() would compete with it
        }
        return transport.claimOne(queue); // a get(): one row, straight from the database
    }

    @Override
    protected void putFront(String queue, StoredMessage message) {
        if (!isOpen()) {
            release(List.of(message)); // taken but never delivered
            return;
        }
        synchronized (parked) {
            parked.computeIfAbsent(queue, q -> new ArrayDeque<>()).addFirst(message);
            parkedCount.incrementAndGet();
        }
    }

    @Override
    public String consume(String queue, @Nullable String consumerTag, boolean noAck, org.kombu4j.transport.DeliveryHandler handler) {
        transport.flushPublishes(); // a consumer started after publishing sees those messages, in priority order
        return super.consume(queue, consumerTag, noAck, handler);
    }

    @Override
    protected void onConsumerAdded(String queue) {
        transport.consumerAdded();
    }

    @Override
    protected void onConsumerRemoved(String queue) {
        List<Object> back;
        synchronized (parked) {
            ArrayDeque<Object> d = parked.remove(queue);
            back = d == null ? List.of() : new ArrayList<>(d);
            parkedCount.addAndGet(-back.size());
        }
        release(back);
    }

    @Override
    protected void onCapacityFreed() {
        transport.wakeFetcher();
    }

    @Override
    protected void onAcked(Unacked acked) {
        transport.settle(acked.message());
    }

    @Override
    protected void onDiscarded(Unacked rejected) {
        transport.settle(rejected.message());
    }

    @Override
    protected void onTakenWithoutAck(String queue, StoredMessage message) {
        transport.settle(message);
    }

    @Override
    protected void restore(Unacked u, boolean front) {
        Object receipt = u.message().receipt();
        if (!(receipt instanceof Long id)) {
            super.restore(u, front);
            return;
        }
        List<Long> batch = collecting.get();
        if (batch != null) {
            batch.add(id);
        } else {
            transport.release(List.of(id));
        }
    }

    @Override
    protected void restoreAll() {
        List<Long> batch = new ArrayList<>();
        collecting.set(batch);
        try {
            super.restoreAll();
        } finally {
            collecting.remove();
        }
        transport.release(batch);
    }

    /** Gives back rows claimed for this channel that no consumer got: their claim was no delivery. */
    private void release(Collection<?> messages) {
        List<Long> ids = new ArrayList<>(messages.size());
        for (Object m : messages) {
            if (m instanceof SqlStore.Claimed c) {
                ids.add(c.id());
            } else if (m instanceof StoredMessage sm && sm.receipt() instanceof Long id) {
                ids.add(id);
            }
        }
        transport.release(ids, true);
    }

    @Override
    public void close() {
        if (!isOpen()) {
            return;
        }
        super.close(); // cancels consumers (releasing what they had parked) and restores the unacknowledged
        List<Object> rest = new ArrayList<>();
        synchronized (parked) {
            for (ArrayDeque<Object> d : parked.values()) {
                rest.addAll(d);
            }
            parked.clear();
            parkedCount.set(0);
        }
        release(rest);
        transport.channelClosed(this);
    }
}
