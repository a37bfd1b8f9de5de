package org.kombu4j.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.ClosedException;
import org.kombu4j.Exchange;
import org.kombu4j.KombuException;
import org.kombu4j.NotFoundException;
import org.kombu4j.OperationalException;
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
 * One kombu4j channel backed by one AMQP channel.
 *
 * <p>A channel error (404 on a passive declare, 406 on a redeclare with other arguments, a publish to
 * a missing exchange) makes the broker close the AMQP channel. If it had no consumers this channel
 * opens a fresh AMQP channel on its next use, so it stays usable as kombu4j callers expect; if it had
 * consumers they are gone, so {@link #isOpen()} turns false and the transport reports the loss through
 * {@code drainEvents} rather than letting consumers stop silently.
 *
 * <p>Publishing is {@link AmqpPublisher}'s; delivery tags are {@link DeliveryTags}'.
 */
final class AmqpChannel implements TransportChannel {
    private static final Logger log = LoggerFactory.getLogger(AmqpChannel.class);

    private final AmqpTransport transport;
    // Guards replacing the AMQP channel and keeps sequence number + basic.publish atomic.
    private final Object lock = new Object();
    private final AmqpPublisher publisher;
    private final Map<String, AmqpConsumer> consumers = new ConcurrentHashMap<>();
    private final DeliveryTags tags = new DeliveryTags();
    // Unacknowledged deliveries from queues with a known dead-letter exchange, for deadLetter(tag, reason).
    private final Map<Long, TransportMessage> held = new ConcurrentHashMap<>();
    private volatile LiveChannel live;
    private volatile boolean closed;
    private volatile boolean consumersLost;
    private volatile int prefetch;
    /** A flush of the pending acks is queued on kombu4j's delivery thread. */
    private final AtomicBoolean flushPosted = new AtomicBoolean();
    private final java.time.Duration confirmTimeout;

    AmqpChannel(AmqpTransport transport, AmqpOptions options, Channel first) {
        this.transport = transport;
        this.publisher = new AmqpPublisher(options, transport.ticker(), lock, this::live);
        this.confirmTimeout = options.confirmTimeout();
        this.live = setUp(first, 0);
    }

    private LiveChannel setUp(Channel ch, long generation) {
        LiveChannel l;
        try {
            l = publisher.attach(ch, generation);
            if (prefetch > 0) {
                ch.basicQos(prefetch, false);
            }
        } catch (IOException | ShutdownSignalException e) {
            throw AmqpErrors.map("set up channel " + ch.getChannelNumber(), e);
        }
        ch.addShutdownListener(cause -> onAmqpChannelClosed(l, cause));
        return l;
    }

    private void onAmqpChannelClosed(LiveChannel closing, ShutdownSignalException cause) {
        try {
            markConsumersLost(closing.generation(), cause);
        } finally {
            // Only after the state above is set: failing the waiting publishes wakes their callers, who
            // must then already see isOpen() false.
            ConfirmTracker tracker = closing.tracker();
            if (tracker != null) {
                tracker.channelClosed(cause);
            }
        }
    }

    private void markConsumersLost(long generation, ShutdownSignalException cause) {
        if (closed || cause.isInitiatedByApplication() || cause.isHardError()) {
            return; // Our own close, or the whole connection went: the transport reports that.
        }
        if (!consumers.isEmpty() && live.generation() == generation) {
            consumersLost = true;
            for (AmqpConsumer c : consumers.values()) {
                c.cancelled = true;
            }
            transport.reportChannelLost(new OperationalException("channel " + live.channel().getChannelNumber()
                    + " was closed by the broker (" + cause.getMessage() + "); its consumers "
                    + consumers.keySet() + " stopped", cause));
        }
    }

    /** The open AMQP channel, replacing one a channel error closed (when no consumers were on it). */
    private LiveChannel live() {
        LiveChannel l = live;
        if (l.channel().isOpen() && !closed) {
            return l;
        }
        synchronized (lock) {
            if (closed) {
                throw new ClosedException("channel is closed");
            }
            l = live;
            if (l.channel().isOpen()) {
                return l;
            }
            if (consumersLost) {
                throw new OperationalException("channel was closed by the broker and its consumers with it;"
                        + " open a new channel");
            }
            Channel fresh = transport.openAmqpChannel();
            tags.clear();
            held.clear();
            consumers.clear();
            live = setUp(fresh, l.generation() + 1);
            return live;
        }
    }

    @FunctionalInterface
    private interface AmqpCall<T> {
        T run(Channel ch) throws IOException;
    }

    private <T> T call(String what, AmqpCall<T> op) {
        Channel ch = live().channel();
        try {
            return op.run(ch);
        } catch (IOException | ShutdownSignalException e) {
            throw AmqpErrors.map(what, e);
        }
    }

    @Override
    public void declareExchange(Exchange exchange, boolean passive) {
        if (exchange.isDefault()) {
            return; // The default exchange always exists and cannot be declared.
        }
        String what = (passive ? "check exchange '" : "declare exchange '") + exchange.name() + "'";
        call(what, ch -> passive ? ch.exchangeDeclarePassive(exchange.name())
                : ch.exchangeDeclare(exchange.name(), exchange.type().wireName(), exchange.isDurable(),
                        exchange.isAutoDelete(), false, exchange.arguments()));
    }

    @Override
    public QueueInfo declareQueue(Queue queue, boolean passive) {
        AMQP.Queue.DeclareOk ok;
        if (passive) {
            try {
                ok = call("check queue '" + queue.name() + "'", ch -> ch.queueDeclarePassive(queue.name()));
            } catch (NotFoundException e) {
                NotFoundException nf = new NotFoundException("queue '" + queue.name() + "' not found (passive declare)"
                        + " in virtual host '" + transport.virtualHost() + "'");
                nf.initCause(e);
                throw nf;
            }
        } else {
            ok = call("declare queue '" + queue.name() + "'", ch -> ch.queueDeclare(queue.name(), queue.isDurable(),
                    queue.isExclusive(), queue.isAutoDelete(), queue.arguments()));
            transport.deadLetterTarget(queue.name(), queue.deadLetterExchange(), queue.deadLetterRoutingKey());
        }
        return new QueueInfo(ok.getQueue(), ok.getMessageCount(), ok.getConsumerCount());
    }

    @Override
    public void bind(String queue, Binding binding) {
        call("bind queue '" + queue + "' to exchange '" + binding.exchange().name() + "'",
                ch -> ch.queueBind(queue, binding.exchange().name(), binding.routingKey(), binding.arguments()));
    }

    @Override
    public void unbind(String queue, Binding binding) {
        call("unbind queue '" + queue + "' from exchange '" + binding.exchange().name() + "'",
                ch -> ch.queueUnbind(queue, binding.exchange().name(), binding.routingKey(), binding.arguments()));
    }

    @Override
    public void deleteQueue(String queue) {
        call("delete queue '" + queue + "'", ch -> ch.queueDelete(queue));
        transport.deadLetterTarget(queue, null, null);
    }

    @Override
    public void deleteExchange(String exchange) {
        call("delete exchange '" + exchange + "'", ch -> ch.exchangeDelete(exchange));
    }

    @Override
    public List<QueueInfo> listQueues() {
        if (closed) {
            throw new ClosedException("channel is closed");
        }
        // The management API's counts are statistics, refreshed every few seconds (5 s by default): a
        // message published a moment ago is not in them yet. The names come from it; the counts from a
        // passive declare each, which the broker answers from the queue itself.
        List<QueueInfo> listed = transport.listQueues();
        List<QueueInfo> out = new ArrayList<>(listed.size());
        for (QueueInfo q : listed) {
            try {
                AMQP.Queue.DeclareOk ok = call("check queue '" + q.name() + "'", ch -> ch.queueDeclarePassive(q.name()));
                out.add(new QueueInfo(q.name(), ok.getMessageCount(), ok.getConsumerCount()));
            } catch (NotFoundException e) {
                // deleted since it was listed
            } catch (KombuException e) {
                if (!transport.isConnected()) {
                    throw e;
                }
                out.add(q); // e.g. another connection's exclusive queue: the statistics are all there is
            }
        }
        return out;
    }

    @Override
    public List<QueueStats> queueStats() {
        if (closed) {
            throw new ClosedException("channel is closed");
        }
        // Names, unacknowledged counts and rates from the management API (statistics, a few seconds old); ready
        // and consumers from a passive declare each, as listQueues does, so a new message shows at once.
        List<QueueStats> out = new ArrayList<>();
        for (QueueStats q : transport.queueStats().values()) {
            try {
                AMQP.Queue.DeclareOk ok = call("check queue '" + q.name() + "'", ch -> ch.queueDeclarePassive(q.name()));
                out.add(new QueueStats(q.name(), ok.getMessageCount(), q.unacked(), ok.getConsumerCount(), q.publishRate(),
                        q.deliverRate(), null, null, null, null, q.deadLetterQueues()));
            } catch (NotFoundException e) {
                // deleted since it was listed
            } catch (KombuException e) {
                if (!transport.isConnected()) {
                    throw e;
                }
                out.add(q);
            }
        }
        // Dead letters from the same reading: the ready count of each queue's dead-letter queue, where known.
        java.util.Map<String, List<String>> targets = new java.util.HashMap<>();
        for (QueueStats q : out) {
            if (!q.deadLetterQueues().isEmpty()) {
                targets.put(q.name(), q.deadLetterQueues());
            }
        }
        return QueueStats.withDeadLetterQueues(out, targets);
    }

    @Override
    public long purge(String queue) {
        return call("purge queue '" + queue + "'", ch -> ch.queuePurge(queue)).getMessageCount();
    }

    @Override
    public void publish(OutgoingMessage message) {
        publisher.publish(transport.delayed().route(message));
    }

    @Override
    public CompletableFuture<Void> publishTracked(OutgoingMessage message) {
        return publisher.publishTracked(transport.delayed().route(message));
    }

    /**
     * confirm_publish=async: waits until every publish so far on this channel is confirmed or failed
     * (each at most {@code confirm_timeout}), then throws {@link PublishNotConfirmedException} if any
     * failed since the last report. A no-op in the other modes, where publish already reported each.
     */
    void flush() {
        publisher.flush(live);
    }

    @Override
    public String consume(String queue, @Nullable String consumerTag, boolean noAck, DeliveryHandler handler) {
        LiveChannel l = live();
        AmqpConsumer consumer = new AmqpConsumer(l, queue, noAck, handler);
        String tag = call("consume queue '" + queue + "'",
                ch -> ch.basicConsume(queue, noAck, consumerTag == null ? "" : consumerTag, consumer));
        consumers.put(tag, consumer);
        return tag;
    }

    @Override
    public void cancel(String consumerTag) {
        AmqpConsumer c = consumers.remove(consumerTag);
        if (c == null) {
            return;
        }
        c.cancelled = true;
        Channel ch = live.channel();
        if (ch.isOpen()) {
            try {
                ch.basicCancel(consumerTag);
            } catch (IOException | ShutdownSignalException e) {
                throw AmqpErrors.map("cancel consumer '" + consumerTag + "'", e);
            }
        }
    }

    @Override
    public void qos(int prefetchCount) {
        if (prefetchCount < 0 || prefetchCount > 65535) {
            throw new org.kombu4j.ConfigurationException("prefetch must be from 0 to 65535 on AMQP, got " + prefetchCount);
        }
        prefetch = prefetchCount;
        // global=false: the limit is per consumer as in Kombu's pyamqp, which on one-consumer channels is the same.
        call("set prefetch " + prefetchCount, ch -> {
            ch.basicQos(prefetchCount, false);
            return null;
        });
    }

    @Override
    public @Nullable TransportMessage get(String queue, boolean noAck) {
        LiveChannel l = live();
        GetResponse r;
        try {
            r = l.channel().basicGet(queue, noAck);
        } catch (IOException | ShutdownSignalException e) {
            throw AmqpErrors.map("get from queue '" + queue + "'", e);
        }
        if (r == null) {
            return null;
        }
        return message(l, r.getEnvelope(), r.getProps(), r.getBody(), null, queue, noAck);
    }

    private TransportMessage message(LiveChannel l, Envelope env, AMQP.@Nullable BasicProperties props, byte[] body,
            @Nullable String consumerTag, String queue, boolean noAck) {
        long tag = tags.issue(l.generation(), env.getDeliveryTag(), noAck);
        TransportMessage m = new TransportMessage(AmqpProperties.fromAmqp(props, body), env.getExchange(),
                env.getRoutingKey(), env.isRedeliver(), tag, consumerTag, queue);
        if (!noAck && transport.deadLetterTarget(queue) != null) {
            held.put(tag, m);
        }
        return m;
    }

    /** Writes the settling frames {@link DeliveryTags} decides to {@code l}'s AMQP channel. */
    private static DeliveryTags.Wire wire(LiveChannel l) {
        Channel ch = l.channel();
        return new DeliveryTags.Wire() {
            @Override
            public void ack(long amqpTag, boolean multiple) throws IOException {
                ch.basicAck(amqpTag, multiple);
            }

            @Override
            public void reject(long amqpTag, boolean requeue) throws IOException {
                ch.basicReject(amqpTag, requeue);
            }
        };
    }

    /**
     * On kombu4j's delivery thread the ack waits for the end of the drain (or, on a hub, for the flush posted
     * behind the deliveries queued now) and goes out with the acks of the other deliveries of that run, as one
     * multiple ack where {@link DeliveryTags} finds it safe; from any other thread it goes out at once, with
     * whatever acks are pending.
     */
    @Override
    public void ack(long deliveryTag) {
        held.remove(deliveryTag);
        LiveChannel l = live();
        if (transport.inEventThread()) {
            tags.ackLater(deliveryTag, l.generation());
            if (transport.onHub()) {
                postFlush();
            }
            return;
        }
        try {
            tags.ack(deliveryTag, l.generation(), wire(l));
        } catch (IOException | ShutdownSignalException e) {
            throw AmqpErrors.map("ack delivery " + deliveryTag, e);
        }
    }

    /**
     * Acknowledges without waiting for other threads: on kombu4j's delivery thread as {@link #ack}; from another
     * thread the ack is written at once with whatever acks are pending, unless another thread is writing settling
     * frames, which then writes this one too as it finishes. Busy task threads so share frames (one multiple ack
     * where {@link DeliveryTags} finds it safe) without a hop to the delivery thread or waiting for each other.
     */
    @Override
    public void ackSoon(long deliveryTag) {
        held.remove(deliveryTag);
        LiveChannel l = live();
        tags.ackLater(deliveryTag, l.generation());
        if (transport.inEventThread()) {
            if (transport.onHub()) {
                postFlush(); // a drain flushes by itself when its run ends
            }
            return;
        }
        try {
            tags.flushIfFree(l.generation(), wire(l));
        } catch (IOException | ShutdownSignalException e) {
            throw AmqpErrors.map("ack delivery " + deliveryTag, e);
        }
    }

    private void postFlush() {
        if (flushPosted.compareAndSet(false, true)) {
            transport.dispatch(() -> {
                flushPosted.set(false);
                flushAcks();
            });
        }
    }

    /** Writes the pending acks; on a channel that is gone they are void (the broker requeued those messages). */
    void flushAcks() {
        if (!tags.hasPending()) {
            return;
        }
        LiveChannel l = live;
        if (!l.channel().isOpen()) {
            return;
        }
        try {
            tags.flush(l.generation(), wire(l));
        } catch (IOException | ShutdownSignalException e) {
            // The channel is closing under us: the broker redelivers what was not acknowledged.
            log.debug("could not write pending acks on channel {}", l.channel().getChannelNumber(), e);
        }
    }

    @Override
    public void reject(long deliveryTag, boolean requeue) {
        held.remove(deliveryTag);
        LiveChannel l = live();
        try {
            tags.reject(deliveryTag, l.generation(), requeue, wire(l));
        } catch (IOException | ShutdownSignalException e) {
            throw AmqpErrors.map("reject delivery " + deliveryTag, e);
        }
    }

    /**
     * RabbitMQ dead-letters a rejected message itself (reason {@code rejected}, and {@code delivery_limit} on
     * quorum queues). For a reason it has no word for (e.g. {@code undecodable}) the message is published to its
     * queue's dead-letter exchange with {@link DeadLetters#record} headers, and acknowledged once the broker has
     * confirmed that copy; if the copy fails the original stays unacknowledged and the error is thrown. Without a
     * dead-letter exchange known from a declare on this connection, it is rejected plainly.
     */
    @Override
    public void deadLetter(long deliveryTag, String reason) {
        TransportMessage m = held.get(deliveryTag);
        AmqpTransport.DeadLetterTarget target = m == null ? null : transport.deadLetterTarget(m.queue());
        if (m == null || target == null || DeadLetters.REJECTED.equals(reason)) {
            reject(deliveryTag, false);
            return;
        }
        RawMessage c = m.content();
        RawMessage copy = new RawMessage(c.body(), c.contentType(), c.contentEncoding(),
                DeadLetters.record(c.headers(), reason, m.queue(), m.exchange(), m.routingKey(), Instant.now()),
                c.properties());
        String rk = target.routingKey() != null ? target.routingKey() : m.routingKey();
        OutgoingMessage out = new OutgoingMessage(target.exchange(), rk, copy, false);
        String what = "dead-letter delivery " + deliveryTag + " to exchange '" + target.exchange() + "'";
        try {
            publisher.publishTracked(out).get(confirmTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting to " + what, e);
        } catch (ExecutionException e) {
            throw AmqpErrors.map(what, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            throw new OperationalException("cannot " + what + ": no publisher confirm in time", e);
        }
        ack(deliveryTag);
    }

    @Override
    public void recover(boolean requeue) {
        if (!requeue) {
            // RabbitMQ answers basic.recover(requeue=false) with NOT_IMPLEMENTED, a connection error.
            throw new UnsupportedOperationException("RabbitMQ cannot recover without requeue; use recover(true)");
        }
        // Only the tags outstanding now are void: redeliveries may arrive (with new tags) before
        // recover-ok, and those must stay acknowledgeable.
        LiveChannel l = live();
        List<Long> voided;
        try {
            voided = tags.recover(l.generation(), wire(l), () -> l.channel().basicRecover(true));
        } catch (IOException | ShutdownSignalException e) {
            throw AmqpErrors.map("recover unacknowledged messages", e);
        }
        voided.forEach(held::remove);
    }

    @Override
    public boolean isOpen() {
        // A channel without consumers reopens transparently after a channel error.
        return !closed && !consumersLost && transport.isConnected();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        RuntimeException unconfirmed = publisher.settleBeforeClose(live);
        flushAcks(); // acks decided but not written yet: else the broker would deliver those messages again
        synchronized (lock) {
            closed = true;
        }
        for (AmqpConsumer c : consumers.values()) {
            c.cancelled = true;
        }
        consumers.clear();
        tags.clear();
        held.clear();
        transport.channelClosed(this);
        Channel ch = live.channel();
        if (ch.isOpen()) {
            try {
                ch.close();
            } catch (IOException | TimeoutException | ShutdownSignalException e) {
                // The broker requeues unacked messages whichever way the channel ends.
                log.debug("error closing channel {}", ch.getChannelNumber(), e);
            }
        }
        if (unconfirmed != null) {
            throw unconfirmed;
        }
        publisher.throwFailures("reported on close");
    }

    /** Receives deliveries on the client's thread and hands them to kombu4j's delivery thread. */
    private final class AmqpConsumer extends DefaultConsumer {
        private final LiveChannel owner;
        private final String queue;
        private final boolean noAck;
        private final DeliveryHandler handler;
        volatile boolean cancelled;

        AmqpConsumer(LiveChannel owner, String queue, boolean noAck, DeliveryHandler handler) {
            super(owner.channel());
            this.owner = owner;
            this.queue = queue;
            this.noAck = noAck;
            this.handler = handler;
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            TransportMessage m = message(owner, envelope, properties, body, consumerTag, queue, noAck);
            transport.dispatch(() -> deliver(m));
        }

        private void deliver(TransportMessage m) {
            if (cancelled || closed) {
                // Arrived after cancel: give it back now rather than holding it until the channel closes.
                held.remove(m.deliveryTag());
                if (!noAck && !closed && owner.channel().isOpen()) {
                    try {
                        tags.requeueIfUnacked(m.deliveryTag(), owner.generation(), wire(owner));
                    } catch (IOException | AlreadyClosedException e) {
                        log.debug("cannot requeue a delivery that arrived after cancel", e);
                    }
                }
                return;
            }
            handler.onDelivery(m);
        }

        @Override
        public void handleCancel(String consumerTag) {
            // The broker cancelled us: the queue was deleted or, in a cluster, became unavailable (a classic queue
            // whose node went down). Nothing more will arrive, so say so through drainEvents, as py-amqp raises
            // ConsumerCancelled (a recoverable error in Kombu): ConsumerLoop then reconnects and consumes again.
            cancelled = true;
            consumers.remove(consumerTag);
            transport.reportChannelLost(new OperationalException("the broker cancelled consumer '" + consumerTag
                    + "' of queue '" + queue + "' (queue deleted, or unavailable after a cluster node went down)"));
        }
    }

    @Override
    public String toString() {
        return "AmqpChannel(" + live.channel().getChannelNumber() + ")";
    }
}
