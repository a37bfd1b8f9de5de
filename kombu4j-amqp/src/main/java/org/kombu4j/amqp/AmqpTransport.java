package org.kombu4j.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ClosedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.ExchangeType;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.PriorityOrder;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportCapabilities;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportListener;
import org.kombu4j.transport.TlsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AMQP 0-9-1 transport: one RabbitMQ client connection, each kombu4j channel an AMQP channel.
 *
 * <p>URL: {@code amqp://user:password@host:port/vhost?options} (defaults {@code guest:guest},
 * {@code localhost}, port 5672 or 5671 for {@code amqps}, virtual host {@code /}; as in Kombu,
 * {@code amqp://host//} names the virtual host {@code /}). Options, in seconds where a time:
 * {@code heartbeat} (default 60; 0 disables), {@code connect_timeout} (10), {@code confirm_publish}
 * ({@code true}, the default; {@code async}; {@code false}), {@code confirm_timeout} (30),
 * {@code confirm_window} (async confirms: outstanding publishes, default 10000),
 * {@code connection_name} (the name the broker shows, default {@code kombu4j}). Unknown options are a {@link ConfigurationException}.
 *
 * <p><b>Listing queues</b> ({@link TransportChannel#listQueues()}) is not possible in AMQP 0-9-1, so, as
 * Kombu's {@code Connection.get_manager()}, it asks the RabbitMQ management HTTP API (the
 * {@code rabbitmq_management} plugin) for {@code GET /api/queues/<vhost>}. Kombu's options say where:
 * {@code manager_hostname} (default: the URL's host), {@code manager_port} (15672),
 * {@code manager_userid} and {@code manager_password} (default: the URL's user and password). Plain
 * HTTP, as Kombu's pyrabbit client; connecting is bounded by 5 s, the request by 10 s. The plugin's
 * message counts are statistics refreshed every few seconds, so each listed queue's counts are then
 * read with a passive declare, which is exact (the statistics stay only where that is refused, e.g.
 * another connection's exclusive queue). An unreachable
 * API (plugin not enabled) or an HTTP error is an {@link OperationalException}; a refused login is
 * an {@link org.kombu4j.AccessRefusedException}.
 *
 * <p><b>TLS</b> ({@code amqps://}) takes the option names of Kombu / redis-py, as kombu4j's Redis
 * transport does; files are PEM, and the context is built with the JDK alone:
 * <ul>
 * <li>{@code ssl_cert_reqs}: {@code required} (the default), {@code optional} or {@code none} (also
 *     {@code CERT_REQUIRED}, {@code CERT_OPTIONAL}, {@code CERT_NONE}). With {@code required} and
 *     {@code optional} the broker's certificate must chain to a trusted CA. <b>{@code none} is
 *     insecure</b>: any certificate is accepted, so the traffic is encrypted but the broker is not
 *     authenticated (a man in the middle goes unnoticed); for tests only.
 * <li>{@code ssl_ca_certs}: a PEM file of the trusted CA certificates; default: the JVM's default
 *     trust store (the {@code javax.net.ssl.trustStore} system properties).
 * <li>{@code ssl_certfile}, {@code ssl_keyfile}: a client certificate (chain) and its unencrypted
 *     PKCS#8 key ({@code -----BEGIN PRIVATE KEY-----}); without {@code ssl_keyfile} the key is read
 *     from the certificate file.
 * <li>{@code ssl_check_hostname}: whether the certificate must name the URL's host (a DNS name or
 *     IP address in its subject alternative names); default true with {@code required}, false
 *     otherwise; true with {@code none} is refused.
 * </ul>
 * {@code ssl_*} options on a plain {@code amqp://} URL are a {@link ConfigurationException}, as are an
 * unreadable file and, at connect, a failed certificate check (untrusted, wrong host name, client
 * certificate refused or missing): retrying would not help. A TLS connection that fails for I/O
 * reasons is an {@link OperationalException}; the TLS handshake is bounded by {@code connect_timeout}.
 * One case cannot always be told apart: under TLS 1.3 a broker that requires a client certificate
 * refuses a missing one after the client has finished its side of the handshake, and if the client's
 * first AMQP bytes meet the closed socket before it reads the broker's alert, the failure arrives as a
 * broken connection (an {@link OperationalException}) rather than the certificate error.
 *
 * <p><b>Publisher confirms</b> are on by default: {@code publish} returns once the broker confirmed
 * that message, while other threads' publishes on the same channel pipeline. A nack, a missing
 * confirm after {@code confirm_timeout} or a closed channel is an {@link OperationalException}; a
 * mandatory message no queue takes is an {@link org.kombu4j.UnroutableException}. So no publish is
 * dropped silently. With {@code confirm_publish=false} publishing is fire-and-forget, as in Kombu.
 *
 * <p><b>Asynchronous confirms</b> ({@code confirm_publish=async}): {@code publish} returns as soon as
 * the message is written to the socket; confirms are tracked per channel in a window of at most
 * {@code confirm_window} unconfirmed publishes, and {@code publish} blocks while the window is full
 * (as RabbitMQ's PerfTest does). Throughput is then close to fire-and-forget while every message is
 * still accounted for: a nack, an unroutable mandatory message, a confirm missing after
 * {@code confirm_timeout} or a channel closing with publishes unconfirmed is reported as a
 * {@link PublishNotConfirmedException} by the channel's <em>next</em> {@code publish} (which then
 * does not send its own message), by {@link #flush()}, or by closing the connection — never
 * dropped. Closing waits for the outstanding confirms first (each at most {@code confirm_timeout}). The report says how many failed, not which: the caller that needs per-message certainty
 * uses the default. Not the default because an error surfacing on a later call (or at close) is a
 * different contract from Kombu's, and a process that exits without closing its connection loses
 * the report of its last window.
 *
 * <p><b>Deliveries</b> arrive on the client's threads and are queued for the thread calling
 * {@link #drainEvents} or, after {@link #registerWithEventLoop}, posted with {@link Hub#callSoon};
 * handlers never run on the client's threads, so they may call back into the channel. The consumer's
 * prefetch limit bounds that queue.
 *
 * <p><b>Clusters</b>: give the nodes as failover URLs, {@code amqp://a:5672//;amqp://b:5672//}; the
 * connection uses the first that answers and, once it is lost, the next (round-robin, Kombu's default
 * {@code failover_strategy}). With publisher confirms on, a publish that returned was confirmed by the
 * cluster; one whose node died first throws, or is sent again through the next node under the
 * producer's retry policy (so it may arrive twice). Quorum queues ({@code Queue.Builder.quorum()})
 * keep confirmed messages when a minority of nodes is lost; a classic queue lives on one node.
 *
 * <p><b>Recovery</b>: the client's automatic recovery is off. A lost connection makes
 * {@link #drainEvents} throw {@link OperationalException} at once, and kombu4j's own
 * {@code Connection.ensure}/{@code ConsumerLoop} reconnect and re-create consumers, so every transport
 * recovers the same way and failover URLs are honoured. A transport is not reused after it lost its
 * connection. A channel error that closes a channel with consumers (say, a publish to a missing
 * exchange on a consumer's channel) makes the next {@code drainEvents} throw once; the connection
 * stays up. So does a consumer the broker cancels (basic.cancel: its queue was deleted or, in a cluster,
 * a classic queue's node went down), as py-amqp raises {@code ConsumerCancelled}. With a hub, losses are logged and {@link #isConnected()} turns false. The heartbeat defaults to 60 s (Kombu's pyamqp defaults to none) so that a dead peer
 * is noticed within about two minutes even when idle.
 */
public final class AmqpTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    static final TransportCapabilities CAPABILITIES = TransportCapabilities.builder(
            EnumSet.allOf(ExchangeType.class)).priorityOrder(PriorityOrder.HIGHER_FIRST).priorityNeedsMaxPriority(true)
            .canListQueues(true).delayedDelivery(true).deadLetters(true).build();

    private final BrokerUrl url;
    private final AmqpOptions options;
    private final ConnectionFactory factory;
    private final ManagementApi management;
    private final Ticker ticker;
    private final DeliveryDispatch deliveries;
    private final List<AmqpChannel> channels = new CopyOnWriteArrayList<>();
    private final DelayedDelivery delayed = new DelayedDelivery(this);
    // Queue name -> its dead-letter exchange and routing key, from the declares on this connection.
    private final Map<String, DeadLetterTarget> deadLetterTargets = new ConcurrentHashMap<>();

    /** Where a queue dead-letters: its {@code x-dead-letter-exchange} and {@code x-dead-letter-routing-key}. */
    record DeadLetterTarget(String exchange, @Nullable String routingKey) {
    }
    private volatile com.rabbitmq.client.@Nullable Connection connection;
    private volatile @Nullable OperationalException failure;
    private volatile TransportListener listener = TransportListener.NONE;
    private volatile boolean closed;
    private final DeliveryDispatch.State drainState = new DeliveryDispatch.State() {
        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void checkUsable() {
            AmqpTransport.this.checkUsable();
        }

        @Override
        public void afterRun() {
            for (AmqpChannel ch : channels) {
                ch.flushAcks();
            }
        }
    };

    AmqpTransport(BrokerUrl url, AmqpOptions options) {
        this(url, options, Ticker.system());
    }

    /** @param ticker decides when a confirm is overdue ({@code confirm_timeout} with async confirms) */
    AmqpTransport(BrokerUrl url, AmqpOptions options, Ticker ticker) {
        this.url = url;
        this.options = options;
        this.ticker = ticker;
        this.deliveries = new DeliveryDispatch(ticker);
        this.factory = newFactory(url, options);
        this.management = new ManagementApi(url, options.manager(), factory.getVirtualHost());
    }

    private static ConnectionFactory newFactory(BrokerUrl url, AmqpOptions options) {
        boolean tls = url.scheme().equals("amqps");
        ConnectionFactory f = PyAmqpFrames.connectionFactory();
        f.setHost(url.host().isEmpty() ? "localhost" : url.host());
        f.setPort(url.port(tls ? ConnectionFactory.DEFAULT_AMQP_OVER_SSL_PORT : ConnectionFactory.DEFAULT_AMQP_PORT));
        f.setVirtualHost(virtualHost(url));
        f.setUsername(url.user() == null ? "guest" : url.user());
        f.setPassword(url.password() == null ? "guest" : url.password());
        long hb = options.heartbeat().toMillis();
        f.setRequestedHeartbeat(hb == 0 ? 0 : (int) Math.max(1, (hb + 999) / 1000));
        int timeout = (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis());
        f.setConnectionTimeout(timeout);
        f.setHandshakeTimeout(Math.max(timeout, 1));
        // kombu4j recovers through Connection.ensure/ConsumerLoop for every transport alike.
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        // Consumer callbacks on the reader thread: they only post to kombu4j's delivery thread (see InlineExecutor).
        f.setSharedExecutor(InlineExecutor.INSTANCE);
        Map<String, Object> props = f.getClientProperties();
        props.put("product", "kombu4j");
        TlsOptions t = options.tls();
        if (tls) {
            if (t == null) {
                t = TlsOptions.defaults();
            }
            f.useSslProtocol(t.context(url.masked()));
            if (t.checkHostname()) {
                f.enableHostnameVerification();
            }
        }
        return f;
    }

    static String virtualHost(BrokerUrl url) {
        String v = url.virtualHost();
        return v == null || v.isEmpty() ? "/" : v;
    }

    Ticker ticker() {
        return ticker;
    }

    String virtualHost() {
        return factory.getVirtualHost();
    }

    /** The virtual host's queues, from the management API (AMQP 0-9-1 has no way to list them). */
    List<QueueInfo> listQueues() {
        if (closed) {
            throw new ClosedException("AMQP transport to " + url.masked() + " is closed");
        }
        return management.queues();
    }

    /** The management API's statistics of every queue, by name (see {@link ManagementApi#queueStats()}). */
    java.util.Map<String, org.kombu4j.transport.QueueStats> queueStats() {
        if (closed) {
            throw new ClosedException("AMQP transport to " + url.masked() + " is closed");
        }
        return management.queueStats();
    }

    @Override
    public String name() {
        return "amqp";
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
    public synchronized void connect() {
        if (closed) {
            throw new ClosedException("AMQP transport to " + url.masked() + " is closed");
        }
        OperationalException lost = failure;
        if (lost != null) {
            throw new OperationalException(lost.getMessage(), lost);
        }
        if (connection != null) {
            return;
        }
        com.rabbitmq.client.Connection c;
        try {
            c = factory.newConnection(options.connectionName());
        } catch (IOException | TimeoutException | ShutdownSignalException e) {
            Throwable tlsFailure = AmqpTls.certificateFailure(e);
            if (tlsFailure != null) {
                // Retrying will not make the certificate trusted: a configuration problem.
                throw new ConfigurationException("cannot connect to " + url.masked() + ": TLS handshake failed: "
                        + tlsFailure.getMessage() + "; " + AmqpTls.hint(tlsFailure), e);
            }
            if (e instanceof TimeoutException) {
                // The socket connected but no AMQP handshake came: the client's bare "TimeoutException" says neither.
                throw new OperationalException("cannot connect to " + url.masked() + ": timed out waiting for the AMQP "
                        + "handshake (is " + factory.getHost() + ":" + factory.getPort() + " an AMQP broker?)", e);
            }
            throw AmqpErrors.map("connect to " + url.masked(), e);
        }
        c.addShutdownListener(this::onConnectionLost);
        connection = c;
    }

    private void onConnectionLost(ShutdownSignalException cause) {
        if (closed || cause.isInitiatedByApplication()) {
            return;
        }
        OperationalException e = new OperationalException("connection to " + url.masked() + " lost: "
                + cause.getMessage(), cause);
        failure = e;
        log.warn("{}", e.getMessage());
        deliveries.wake();
        listener.onConnectionLost(e);
    }

    /**
     * A channel with consumers was closed by the broker (a channel error on it), or the broker cancelled
     * a consumer (its queue deleted or unavailable): those consumers are gone, so the next
     * {@link #drainEvents} throws this once rather than waiting for deliveries that will never come.
     * The connection itself stays usable.
     */
    void reportChannelLost(OperationalException e) {
        log.warn("{}", e.getMessage());
        deliveries.failNextDrain(e);
    }

    @Override
    public boolean isConnected() {
        com.rabbitmq.client.Connection c = connection;
        return !closed && failure == null && c != null && c.isOpen();
    }

    @Override
    public TransportChannel createChannel() {
        connect();
        AmqpChannel ch = new AmqpChannel(this, options, openAmqpChannel());
        channels.add(ch);
        return ch;
    }

    Channel openAmqpChannel() {
        com.rabbitmq.client.Connection c = connection;
        if (c == null || closed) {
            throw new ClosedException("AMQP transport to " + url.masked() + " is closed");
        }
        try {
            Channel ch = c.createChannel();
            if (ch == null) {
                throw new OperationalException("cannot open a channel on " + url.masked()
                        + ": the connection's channel limit is reached; close unused channels or consumers");
            }
            return ch;
        } catch (IOException | ShutdownSignalException e) {
            throw AmqpErrors.map("open a channel on " + url.masked(), e);
        }
    }

    /** Remembers (or forgets, with a null exchange) where a queue declared on this connection dead-letters. */
    void deadLetterTarget(String queue, @Nullable String exchange, @Nullable String routingKey) {
        if (exchange == null) {
            deadLetterTargets.remove(queue);
        } else {
            deadLetterTargets.put(queue, new DeadLetterTarget(exchange, routingKey));
        }
    }

    /** Where {@code queue} dead-letters, if it was declared on this connection with a dead-letter exchange. */
    @Nullable DeadLetterTarget deadLetterTarget(String queue) {
        return deadLetterTargets.get(queue);
    }

    /**
     * Deletes the queues that delayed delivery declared for one destination (its last hops, which re-address
     * delayed messages to {@code exchange} with {@code routingKey}), those that are empty; for when that
     * destination is gone. Kombu's shared {@code celery_delayed_N} levels are left alone.
     *
     * @return how many of its (up to 21) last-hop queues were deleted or did not exist
     */
    public int deleteDelayQueues(String exchange, String routingKey) {
        return delayed.deleteLastHops(exchange, routingKey);
    }

    /** countdown/eta: the delay queues of {@link DelayedDelivery}. */
    DelayedDelivery delayed() {
        return delayed;
    }

    void channelClosed(AmqpChannel ch) {
        channels.remove(ch);
    }

    /** Runs {@code delivery} on kombu4j's delivery thread: the hub's, or the next drainEvents caller's. */
    void dispatch(Runnable delivery) {
        deliveries.dispatch(delivery);
    }

    /** Whether the caller is kombu4j's delivery thread now (see {@link DeliveryDispatch#inEventThread}). */
    boolean inEventThread() {
        return deliveries.inEventThread();
    }

    /** Whether deliveries run on a {@link Hub} (then nothing flushes at the end of a drain). */
    boolean onHub() {
        return deliveries.hasHub();
    }

    @Override
    public boolean drainEvents(Duration timeout) {
        if (deliveries.hasHub()) {
            throw new IllegalStateException("this connection is registered with a Hub: its deliveries run on the hub"
                    + " thread, drainEvents cannot be used");
        }
        checkUsable();
        return deliveries.drain(timeout, drainState);
    }

    private void checkUsable() {
        if (closed) {
            throw new ClosedException("AMQP transport to " + url.masked() + " is closed");
        }
        OperationalException lost = failure;
        if (lost != null) {
            throw new OperationalException(lost.getMessage(), lost);
        }
    }

    @Override
    public void setListener(TransportListener listener) {
        this.listener = java.util.Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void registerWithEventLoop(Hub hub) {
        deliveries.registerWith(hub);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        PublishNotConfirmedException unconfirmed = null;
        for (AmqpChannel ch : channels) {
            try {
                ch.close();
            } catch (PublishNotConfirmedException e) {
                // Thrown after closing everything: callers of close learn of it; a transport dropped
                // quietly by a reconnect (core's closeQuietly) still leaves this warning.
                log.warn("closing {}: {}", url.masked(), e.getMessage());
                if (unconfirmed == null) {
                    unconfirmed = e;
                }
            } catch (RuntimeException e) {
                log.debug("error closing {}", ch, e);
            }
        }
        com.rabbitmq.client.Connection c = connection;
        connection = null;
        if (c != null && c.isOpen()) {
            try {
                c.close((int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
            } catch (IOException | ShutdownSignalException e) {
                log.debug("error closing connection to {}", url.masked(), e);
            }
        }
        deliveries.clearAndWake();
        if (unconfirmed != null) {
            throw unconfirmed;
        }
    }

    /**
     * With {@code confirm_publish=async}: waits until every publish made so far on this transport's
     * channels is confirmed or has failed (each waits at most {@code confirm_timeout}), then throws
     * {@link PublishNotConfirmedException} if any failed since it was last reported. With the other
     * modes there is nothing outstanding and it returns at once. Reach it through
     * {@code connection.transport()}; closing the connection does the same before closing.
     *
     * @throws PublishNotConfirmedException if publishes were nacked, returned, timed out or lost
     */
    public void flush() {
        for (AmqpChannel ch : channels) {
            ch.flush();
        }
    }

    @Override
    public String toString() {
        return "AmqpTransport(" + url.masked() + ")";
    }
}
