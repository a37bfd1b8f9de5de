package org.kombu4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.kombu4j.compression.Compressors;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Ticker;
import org.kombu4j.internal.Transports;
import org.kombu4j.observe.KombuObserver;
import org.kombu4j.serialization.JsonMode;
import org.kombu4j.serialization.Serializers;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to a broker, named by URL: {@code memory://}, {@code redis://host:6379/0},
 * {@code amqp://user:pass@host:5672/vhost}. Several URLs separated by {@code ;} are failover
 * alternatives tried in turn. Connecting is lazy: nothing touches the network until the first
 * operation (or {@link #connect()}).
 *
 * <pre>{@code
 * try (Connection conn = Connection.open("redis://localhost:6379/0")) {
 *     Producer producer = conn.producer();
 *     producer.publish(Map.of("hello", "world"), PublishOptions.routingKey("tasks"));
 * }
 * }</pre>
 *
 * <p>Thread-safe. The password never appears in {@link #toString()} or in log lines.
 */
public final class Connection implements AutoCloseable {
    /** The embedded default broker used when no URL is given. */
    public static final String DEFAULT_URL = "memory://";
    /** The environment variable consulted by {@link #open()}. */
    public static final String URL_ENV = "KOMBU4J_URL";

    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    private final List<BrokerUrl> urls;
    private final Serializers serializers;
    private final Compressors compressors;
    private final RetryPolicy connectPolicy;
    private final Ticker ticker;
    private int current;
    private @Nullable Transport transport;
    // Written under the lock; volatile so that publishes can reuse it without taking the lock.
    private volatile @Nullable TransportChannel defaultChannel;
    private @Nullable Hub hub;
    private volatile boolean closed;
    private long generation;
    private final List<java.util.function.Consumer<OperationalException>> lostListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The observers as one, or null when none is registered: the hot paths check this field and nothing else. */
    private final @Nullable KombuObserver observer;
    /** Whether the broker was reached once (under the lock). */
    private boolean everConnected;
    /** Whether a loss was reported and not yet followed by a reconnect (set from transport threads too). */
    private final java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();

    private Connection(Builder b, Serializers serializers) {
        this.urls = Collections.unmodifiableList(new ArrayList<>(b.urls));
        this.serializers = serializers;
        this.compressors = b.compressors;
        this.connectPolicy = b.connectPolicy;
        this.ticker = b.ticker;
        this.observer = KombuObserver.compose(b.observers);
    }

    /** Opens (lazily) a connection to {@code url}, or to several failover URLs separated by {@code ;}. */
    public static Connection open(String url) {
        return builder(url).build();
    }

    /** Opens (lazily) the URL in {@code KOMBU4J_URL}, or {@link #DEFAULT_URL} if unset. */
    public static Connection open() {
        String env = System.getenv(URL_ENV);
        return open(env == null || env.isBlank() ? DEFAULT_URL : env);
    }

    public static Builder builder(String url) {
        return new Builder(url);
    }

    /**
     * The clock that timeouts decided on this connection's behalf are read from ({@link SimpleQueue#poll},
     * {@link ConsumerLoop}'s reconnect waits); {@link Ticker#system()} unless the builder set another.
     */
    public Ticker ticker() {
        return ticker;
    }

    /** The URL in use (the current failover alternative). */
    public synchronized BrokerUrl url() {
        return urls.get(current);
    }

    /** Every failover alternative, in order. */
    public List<BrokerUrl> urls() {
        return urls;
    }

    /**
     * The serializers: what bodies are written and read with, and how decoded bodies become the classes typed
     * consumers ask for ({@link Builder#objectMapper}, {@link Builder#jsonMode}).
     */
    public Serializers serializers() {
        return serializers;
    }

    public Compressors compressors() {
        return compressors;
    }

    /** The transport, created and connected on first use, trying each failover URL once. */
    public synchronized Transport transport() {
        checkOpen();
        if (transport == null) {
            OperationalException last = null;
            // A joined list (sentinel://a;sentinel://b) is one transport that tries its addresses itself.
            boolean joined = joinsUrlList(urls);
            for (int i = 0; i < (joined ? 1 : urls.size()); i++) {
                BrokerUrl u = urls.get(current);
                Transport t = joined ? Transports.factory(u).create(urls) : Transports.create(u);
                t.setListener(this::connectionLost);
                try {
                    t.connect();
                    transport = t;
                    generation++;
                    if (hub != null) {
                        t.registerWithEventLoop(hub);
                    }
                    if (observer != null) {
                        tellConnected(observer);
                    }
                    return t;
                } catch (OperationalException e) {
                    closeQuietly(t);
                    last = e;
                    // With one URL the exception below says it all; with failover, say which alternative failed.
                    if (urls.size() > 1 && !joined) {
                        log.warn("cannot connect to {}: {}; trying the next failover URL", u, e.getMessage());
                    } else {
                        log.debug("cannot connect to {}: {}", u, e.getMessage());
                    }
                    current = (current + 1) % urls.size();
                }
            }
            throw Objects.requireNonNull(last);
        }
        return transport;
    }

    /**
     * Registers a listener told when the connection is found lost outside any call of yours — above
     * all while deliveries run on a {@link Hub}, where there is no {@code drainEvents} to throw.
     * Consumers on the lost connection are gone: reconnect with {@link #ensureConnection(RetryPolicy)} (or
     * {@link #ensure}) and make them again, or use {@link ConsumerLoop}. Until then, operations on the lost
     * connection throw {@link OperationalException}. Called on a transport or hub thread; keep it short.
     */
    public Connection onConnectionLost(java.util.function.Consumer<OperationalException> listener) {
        lostListeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** Under the lock (from transport()): tells the observer of a first connect or of a reconnect after a loss. */
    private void tellConnected(KombuObserver obs) {
        if (!everConnected) {
            everConnected = true;
            down.set(false);
            obs.connected(this);
        } else if (down.compareAndSet(true, false)) {
            obs.connectionRestored(this);
        }
    }

    /** Tells the observer of a loss, once per loss (a transport listener and a failed operation may both see it). */
    private void tellLost(OperationalException error) {
        KombuObserver obs = observer;
        if (obs == null) {
            return;
        }
        // Not under the connection's lock: a transport thread reports here while another may hold it connecting.
        if (closed || !down.compareAndSet(false, true)) {
            return;
        }
        obs.connectionLost(this, error);
    }

    /** The registered observers as one, or null; for the classes of this package. */
    @Nullable KombuObserver observer() {
        return observer;
    }

    private void connectionLost(OperationalException error) {
        tellLost(error);
        for (java.util.function.Consumer<OperationalException> l : lostListeners) {
            try {
                l.accept(error);
            } catch (RuntimeException e) {
                log.error("connection-lost listener failed", e);
            }
        }
    }

    /** Connects now instead of on first use. */
    public Connection connect() {
        transport();
        return this;
    }

    /**
     * Connects, retrying under {@code policy} (each attempt tries every failover URL). A transport
     * that lost its connection is dropped first, so this is also how to reconnect after
     * {@link #onConnectionLost}.
     */
    public Connection ensureConnection(RetryPolicy policy) {
        synchronized (this) {
            if (transport != null && !transport.isConnected()) {
                resetTransport();
            }
        }
        policy.call(this::transport, (e, attempt, delay) ->
                log.warn("connection to {} failed ({}); retry {} in {} ms", url(), e.getMessage(), attempt, delay.toMillis()));
        return this;
    }

    /** Connects, retrying under the connection's own connect policy. */
    public Connection ensureConnection() {
        return ensureConnection(connectPolicy);
    }

    public synchronized boolean isConnected() {
        return transport != null && transport.isConnected();
    }

    /**
     * Runs {@code operation}, and on an {@link OperationalException} drops the broken connection,
     * reconnects (moving to the next failover URL) and runs it again, as {@code policy} allows.
     * Kombu's {@code Connection.ensure}.
     */
    public <T> T ensure(RetryPolicy policy, Supplier<T> operation) {
        if (policy.maxRetries() == 0) {
            // No retry: spare the hot publish path the retry machinery, but still drop a broken transport.
            try {
                return operation.get();
            } catch (OperationalException e) {
                throw dropBrokenTransport(e);
            }
        }
        return policy.call(() -> {
            try {
                return operation.get();
            } catch (OperationalException e) {
                throw dropBrokenTransport(e);
            }
        }, (e, attempt, delay) -> log.warn("operation on {} failed ({}); retry {} in {} ms", url(), e.getMessage(), attempt,
                delay.toMillis()));
    }

    /** Runs {@code operation} under {@link #ensure(RetryPolicy, Supplier)}. */
    public void ensure(RetryPolicy policy, Runnable operation) {
        ensure(policy, () -> {
            operation.run();
            return null;
        });
    }

    /** Closes a broken transport so the next use reconnects, on the next failover URL. */
    public void resetTransport() {
        KombuException lost = resetTransportReporting();
        if (lost != null) {
            log.warn("closing the broken transport of {} reported: {}", url(), lost.getMessage());
        }
    }

    /**
     * {@link #resetTransport()}, returning what the transport's close reported that is not just the
     * broken connection again: messages it had accepted and could not deliver (pipelined publishes).
     */
    private synchronized @Nullable KombuException resetTransportReporting() {
        Transport t = transport;
        transport = null;
        defaultChannel = null;
        if (t == null) {
            return null;
        }
        KombuException lost = null;
        try {
            t.close();
        } catch (OperationalException e) {
            log.debug("error closing transport {}", t, e);
        } catch (KombuException e) {
            lost = e;
        } catch (RuntimeException e) {
            log.debug("error closing transport {}", t, e);
        }
        if (urls.size() > 1 && !joinsUrlList(urls)) {
            current = (current + 1) % urls.size();
        }
        return lost;
    }

    /**
     * Drops the transport after {@code e}. If its close reports accepted messages it could not deliver,
     * that report is what the caller gets (with {@code e} suppressed), and nothing is retried: a retry
     * that succeeded would hide the loss.
     */
    RuntimeException dropBrokenTransport(OperationalException e) {
        tellLost(e);
        KombuException lost = resetTransportReporting();
        if (lost == null) {
            return e;
        }
        lost.addSuppressed(e);
        return lost;
    }

    /** A count that changes each time the connection is re-established; channels from an older one are stale. */
    public synchronized long generation() {
        return generation;
    }

    /** The channel shared by producers that were not given their own. */
    public TransportChannel defaultChannel() {
        // Every publish asks for it: the common case reads two volatile fields and takes no lock.
        TransportChannel ch = defaultChannel;
        if (ch != null && !closed && ch.isOpen()) {
            return ch;
        }
        return defaultChannelLocked();
    }

    private synchronized TransportChannel defaultChannelLocked() {
        Transport t = transport();
        if (defaultChannel == null || !defaultChannel.isOpen()) {
            defaultChannel = t.createChannel();
        }
        return defaultChannel;
    }

    /** A new channel, for a consumer's own prefetch and acknowledgements. */
    public TransportChannel channel() {
        return transport().createChannel();
    }

    /** A producer on the default exchange with the JSON serializer. */
    public Producer producer() {
        return Producer.builder(this).build();
    }

    /** A producer publishing to {@code exchange} (declared on first publish). */
    public Producer producer(Exchange exchange) {
        return Producer.builder(this).exchange(exchange).build();
    }

    /** Starts a consumer definition over {@code queues}. */
    public Consumer.Builder consumer(Queue... queues) {
        return Consumer.builder(this).queues(queues);
    }

    /** Kombu's SimpleQueue: a queue of the same name, bound to a direct exchange of the same name. */
    public SimpleQueue simpleQueue(String name) {
        return new SimpleQueue(this, name);
    }

    /**
     * Waits up to {@code timeout} for deliveries and dispatches them to consumer handlers on this
     * thread. Not available after {@link #registerWithEventLoop}.
     *
     * @return true if something was delivered, false if the timeout passed
     * @throws ClosedException if the connection is closed, or is closed (from another thread) while this waits
     * @throws HandlerFailedException if a handler failed under {@link HandlerFailure#STOP}
     */
    public boolean drainEvents(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        boolean delivered;
        try {
            delivered = transport().drainEvents(timeout);
        } catch (ClosedException | HandlerFailedException e) {
            throw e;
        } catch (RuntimeException e) {
            // Whatever a transport torn down under the drain throws (a lost connection, a closed selector),
            // the caller learns one thing: the connection was closed.
            if (closed) {
                throw new ClosedException("connection to " + url() + " was closed while draining events", e);
            }
            throw e;
        }
        if (closed) {
            throw new ClosedException("connection to " + url() + " was closed while draining events");
        }
        return delivered;
    }

    /**
     * From now on deliveries of this connection run on {@code hub}'s thread, and keep doing so after
     * a reconnect. Kombu's {@code register_with_event_loop}.
     */
    public void registerWithEventLoop(Hub hub) {
        Transport t;
        synchronized (this) {
            this.hub = Objects.requireNonNull(hub, "hub");
            t = transport;
        }
        if (t != null) {
            t.registerWithEventLoop(hub);
        } else {
            transport();
        }
    }

    public synchronized @Nullable Hub hub() {
        return hub;
    }

    private void checkOpen() {
        if (closed) {
            throw new ClosedException("connection to " + url() + " is closed");
        }
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /** Closes the transport; unacknowledged messages go back to their queues. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Transport t = transport;
        transport = null;
        defaultChannel = null;
        try {
            if (t != null) {
                t.close();
            }
        } finally {
            if (observer != null && everConnected) {
                observer.connectionClosed(this);
            }
        }
    }

    /**
     * Whether {@code urls} name one service through several addresses (see {@link TransportFactory#joinsUrlList()});
     * such a list cannot be mixed with other schemes.
     */
    private static boolean joinsUrlList(List<BrokerUrl> urls) {
        boolean joined = Transports.factory(urls.get(0)).joinsUrlList();
        for (BrokerUrl u : urls) {
            if (!u.scheme().equals(urls.get(0).scheme()) && (joined || Transports.factory(u).joinsUrlList())) {
                throw new ConfigurationException("a " + (joined ? urls.get(0) : u).scheme()
                        + ":// URL list names one service and cannot be mixed with other URLs: " + u.masked());
            }
        }
        return joined;
    }

    private static void closeQuietly(Transport t) {
        try {
            t.close();
        } catch (RuntimeException e) {
            log.debug("error closing transport {}", t, e);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Connection(");
        for (int i = 0; i < urls.size(); i++) {
            if (i > 0) {
                sb.append(';');
            }
            sb.append(urls.get(i).masked());
        }
        return sb.append(')').toString();
    }

    /** Builds a {@link Connection}: codec registries and the connect retry policy. */
    public static final class Builder {
        private final List<BrokerUrl> urls = new ArrayList<>();
        private @Nullable Serializers serializers;
        private @Nullable ObjectMapper objectMapper;
        private @Nullable JsonMode jsonMode;
        private Compressors compressors = Compressors.defaults();
        private RetryPolicy connectPolicy = RetryPolicy.DEFAULT;
        private Ticker ticker = Ticker.system();
        private final List<KombuObserver> observers = new ArrayList<>();

        private Builder(String url) {
            Objects.requireNonNull(url, "url");
            for (String part : url.split(";")) {
                if (!part.isBlank()) {
                    urls.add(BrokerUrl.parse(part));
                }
            }
            if (urls.isEmpty()) {
                throw new ConfigurationException("empty broker URL: expected scheme://host[:port][/vhost], e.g. redis://localhost:6379/0");
            }
        }

        /**
         * The serializer registry to use instead of {@link Serializers#defaults()}; it brings its own ObjectMapper and
         * JSON mode ({@link Serializers#defaults(ObjectMapper, JsonMode)}), so {@link #objectMapper} and
         * {@link #jsonMode} cannot be set as well.
         */
        public Builder serializers(Serializers value) {
            serializers = Objects.requireNonNull(value, "serializers");
            return this;
        }

        /**
         * The application's Jackson mapper (naming strategy, inclusion, modules...) for json bodies and typed
         * consumption ({@link Consumer.Builder#onMessage(Class, TypedMessageHandler)}, {@link Message#decode(Class)}).
         * A copy is used, with Kombu's forms of dates, times, decimals, UUIDs and bytes registered on top; the mapper
         * given is not changed. It must be a JSON mapper. msgpack and yaml keep kombu4j's own mappers.
         */
        public Builder objectMapper(ObjectMapper value) {
            objectMapper = Objects.requireNonNull(value, "objectMapper");
            return this;
        }

        /**
         * How json writes dates, times, decimals, UUIDs and bytes: {@link JsonMode#KOMBU53} type tags (the default) or
         * {@link JsonMode#KOMBU52} plain strings for Kombu 5.2 peers. The URL option {@code json_mode=kombu52} does the
         * same; setting both to different modes is a {@link ConfigurationException}.
         */
        public Builder jsonMode(JsonMode value) {
            jsonMode = Objects.requireNonNull(value, "jsonMode");
            return this;
        }

        public Builder compressors(Compressors value) {
            compressors = Objects.requireNonNull(value, "compressors");
            return this;
        }

        /** The policy {@link Connection#ensureConnection()} uses. */
        public Builder connectPolicy(RetryPolicy value) {
            connectPolicy = Objects.requireNonNull(value, "connectPolicy");
            return this;
        }

        /** The clock for the timeouts this connection's helpers decide (default {@link Ticker#system()}); for tests. */
        public Builder ticker(Ticker value) {
            ticker = Objects.requireNonNull(value, "ticker");
            return this;
        }

        /**
         * Adds an observer told of this connection's publishes, deliveries, settlements, handler runs and connection
         * state (metrics, tracing); several are told in the order added. None by default, which costs nothing.
         */
        public Builder observer(KombuObserver value) {
            observers.add(Objects.requireNonNull(value, "observer"));
            return this;
        }

        /** Checks every URL's scheme now, so an unknown one fails here rather than at first use. */
        public Connection build() {
            for (BrokerUrl u : urls) {
                Transports.factory(u);
            }
            if (joinsUrlList(urls)) {
                // Options and credentials are checked now, so a bad list fails here rather than at first use.
                closeQuietly(Transports.factory(urls.get(0)).create(urls));
            }
            return new Connection(this, resolveSerializers());
        }

        private Serializers resolveSerializers() {
            JsonMode fromUrl = null;
            for (BrokerUrl u : urls) {
                String v = u.option(JsonMode.URL_OPTION);
                if (v != null && !v.isBlank()) {
                    JsonMode m = JsonMode.parse(v);
                    if (fromUrl != null && fromUrl != m) {
                        throw new ConfigurationException("failover URLs disagree on " + JsonMode.URL_OPTION + ": "
                                + fromUrl.optionValue() + " and " + m.optionValue());
                    }
                    fromUrl = m;
                }
            }
            if (serializers != null) {
                if (objectMapper != null || jsonMode != null) {
                    throw new ConfigurationException("objectMapper(...) and jsonMode(...) cannot be combined with"
                            + " serializers(...): give them to Serializers.defaults(mapper, mode) instead");
                }
                if (fromUrl != null && fromUrl != serializers.jsonMode()) {
                    throw new ConfigurationException("the URL asks for " + JsonMode.URL_OPTION + "="
                            + fromUrl.optionValue() + " but the serializers given write "
                            + serializers.jsonMode().optionValue());
                }
                return serializers;
            }
            if (jsonMode != null && fromUrl != null && jsonMode != fromUrl) {
                throw new ConfigurationException("the URL asks for " + JsonMode.URL_OPTION + "=" + fromUrl.optionValue()
                        + " but jsonMode(" + jsonMode + ") was set");
            }
            JsonMode mode = jsonMode != null ? jsonMode : fromUrl != null ? fromUrl : JsonMode.KOMBU53;
            return Serializers.defaults(objectMapper, mode);
        }
    }
}
