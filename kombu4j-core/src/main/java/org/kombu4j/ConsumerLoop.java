package org.kombu4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.kombu4j.hub.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kombu's {@code ConsumerMixin}: runs consumers until stopped, and when the connection fails,
 * closes everything, waits per the reconnect policy, reconnects (to the next failover URL) and
 * makes the consumers again. The policy's {@link RetryPolicy#maxRetries()} counts failed attempts
 * since the last successful connect, and its {@link RetryPolicy#timeout()} bounds one outage: no
 * reconnect is tried whose wait would end more than that long after the connection was lost. {@link #run()} blocks the calling thread; {@link #stop()} is safe from
 * any thread.
 *
 * <pre>{@code
 * ConsumerLoop loop = ConsumerLoop.builder(conn, c -> List.of(
 *         c.consumer(queue).onMessage((body, msg) -> { work(body); msg.ack(); }).build())).build();
 * new Thread(loop::run).start();
 * ...
 * loop.stop();
 * }</pre>
 */
public final class ConsumerLoop implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConsumerLoop.class);

    /** The default reconnect policy: forever, 0.1 s growing by 0.5 s to 5 s, ±20% jitter. */
    public static final RetryPolicy DEFAULT_RECONNECT = RetryPolicy.builder().maxRetries(-1).intervalStart(Duration.ofMillis(100))
            .intervalStep(Duration.ofMillis(500)).intervalMax(Duration.ofSeconds(5)).jitter(0.2).build();

    /** Notified of connection faults, e.g. for metrics. */
    @FunctionalInterface
    public interface ErrorListener {
        void onConnectionError(OperationalException error, Duration retryIn);
    }

    private final Connection connection;
    private final Function<Connection, List<Consumer>> factory;
    private final RetryPolicy reconnect;
    private final Duration drainTimeout;
    private final ErrorListener errorListener;
    private final Runnable onIteration;
    private volatile boolean shouldStop;
    private volatile boolean running;
    private int connects;

    private ConsumerLoop(Builder b) {
        this.connection = b.connection;
        this.factory = b.factory;
        this.reconnect = b.reconnect;
        this.drainTimeout = b.drainTimeout;
        this.errorListener = b.errorListener;
        this.onIteration = b.onIteration;
    }

    public static Builder builder(Connection connection, Function<Connection, List<Consumer>> consumers) {
        return new Builder(connection, consumers);
    }

    /**
     * Consumes until {@link #stop()}, reconnecting after connection faults. Any other exception
     * ends it, the consumers closed first: notably a {@link HandlerFailedException} from a consumer
     * whose handler threw under {@link HandlerFailure#STOP} (the default).
     */
    public void run() {
        running = true;
        int attempt = 0;
        long lostAt = 0;
        try {
            while (!shouldStop) {
                List<Consumer> consumers = new ArrayList<>();
                try {
                    connection.connect();
                    connects++;
                    consumers.addAll(factory.apply(connection));
                    for (Consumer c : consumers) {
                        c.consume();
                    }
                    attempt = 0;
                    while (!shouldStop) {
                        connection.drainEvents(drainTimeout);
                        onIteration.run();
                    }
                } catch (OperationalException e) {
                    if (attempt++ == 0) {
                        lostAt = connection.ticker().nanoTime();
                    }
                    closeAll(consumers);
                    connection.resetTransport();
                    if (!reconnect.allows(attempt)) {
                        throw e;
                    }
                    Duration d = reconnect.delay(attempt);
                    Duration limit = reconnect.timeout();
                    if (limit != null && connection.ticker().nanoTime() - lostAt + d.toNanos() > limit.toNanos()) {
                        throw e;
                    }
                    log.warn("connection to {} lost ({}); reconnecting in {} ms", connection.url(), e.getMessage(), d.toMillis());
                    errorListener.onConnectionError(e, d);
                    sleepUnlessStopped(d);
                    continue;
                } catch (RuntimeException | Error e) {
                    // A handler failure under HandlerFailure.STOP, or a bug: run() ends with it, and the loop's
                    // consumers close so their unacknowledged messages go back to their queues now.
                    closeAll(consumers);
                    throw e;
                }
                closeAll(consumers);
            }
        } finally {
            running = false;
        }
    }

    private void sleepUnlessStopped(Duration d) {
        Ticker ticker = connection.ticker();
        long deadline = ticker.nanoTime() + d.toNanos();
        while (!shouldStop) {
            long left = deadline - ticker.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                Thread.sleep(Math.min(100, Math.max(1, left / 1_000_000)));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                shouldStop = true;
            }
        }
    }

    private static void closeAll(List<Consumer> consumers) {
        for (Consumer c : consumers) {
            try {
                c.close();
            } catch (KombuException e) {
                log.debug("error closing consumer", e);
            }
        }
    }

    /** Asks {@link #run()} to return after the current drain step (at most the drain timeout). */
    public void stop() {
        shouldStop = true;
    }

    public boolean isRunning() {
        return running;
    }

    /** How many times the loop has (re)connected. */
    public int connects() {
        return connects;
    }

    @Override
    public void close() {
        stop();
    }

    /** Builds a {@link ConsumerLoop}. */
    public static final class Builder {
        private final Connection connection;
        private final Function<Connection, List<Consumer>> factory;
        private RetryPolicy reconnect = DEFAULT_RECONNECT;
        private Duration drainTimeout = Duration.ofSeconds(1);
        private ErrorListener errorListener = (e, d) -> { };
        private Runnable onIteration = () -> { };

        private Builder(Connection connection, Function<Connection, List<Consumer>> factory) {
            this.connection = Objects.requireNonNull(connection, "connection");
            this.factory = Objects.requireNonNull(factory, "consumers");
        }

        /** Backoff between reconnects (default {@link ConsumerLoop#DEFAULT_RECONNECT}). */
        public Builder reconnect(RetryPolicy value) {
            reconnect = Objects.requireNonNull(value, "reconnect");
            return this;
        }

        /** How long each drain step waits; bounds how quickly {@link #stop()} takes effect (default 1 s). */
        public Builder drainTimeout(Duration value) {
            Objects.requireNonNull(value, "drainTimeout");
            if (value.isNegative() || value.isZero()) {
                throw new ConfigurationException("drainTimeout must be positive, got " + value);
            }
            drainTimeout = value;
            return this;
        }

        public Builder onConnectionError(ErrorListener value) {
            errorListener = Objects.requireNonNull(value, "errorListener");
            return this;
        }

        /**
         * Called on the loop's thread after each drain step, whether or not something was delivered
         * (Kombu's {@code on_iteration}): the place for idle timeouts and other checks that may call
         * {@link ConsumerLoop#stop()}. An {@link OperationalException} it throws is a connection fault
         * like any other; any other exception ends {@link ConsumerLoop#run()}.
         */
        public Builder onIteration(Runnable value) {
            onIteration = Objects.requireNonNull(value, "onIteration");
            return this;
        }

        public ConsumerLoop build() {
            return new ConsumerLoop(this);
        }
    }
}
