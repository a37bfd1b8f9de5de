package org.kombu4j.transport;

import java.time.Duration;
import org.kombu4j.BrokerUrl;
import org.kombu4j.hub.Hub;

/**
 * One connection to a broker: the SPI each broker module implements. A transport is made by its
 * {@link TransportFactory}, connected lazily, and owned by one {@link org.kombu4j.Connection}.
 *
 * <p>Deliveries reach {@link DeliveryHandler}s either on the thread calling {@link #drainEvents}
 * or, after {@link #registerWithEventLoop}, on the hub thread. Faults surface as
 * {@link org.kombu4j.OperationalException} (retryable) or another {@link org.kombu4j.KombuException}.
 */
public interface Transport extends AutoCloseable {
    /** A short name, e.g. {@code memory}, {@code redis}, {@code amqp}. */
    String name();

    BrokerUrl url();

    TransportCapabilities capabilities();

    /** Connects if not yet connected. Idempotent. */
    void connect();

    boolean isConnected();

    /** Opens a new channel (connecting first if needed). */
    TransportChannel createChannel();

    /**
     * Waits up to {@code timeout} for events and dispatches them on this thread.
     *
     * @return true if at least one delivery or event was handled, false on timeout
     */
    boolean drainEvents(Duration timeout);

    /** From now on, deliveries are dispatched on {@code hub}'s thread; {@link #drainEvents} must not be used. */
    void registerWithEventLoop(Hub hub);

    /**
     * Sets who is told when the transport finds on its own that its connection is lost. Transports
     * that can lose a connection outside a caller's call (on a hub, on a client library's thread) must
     * report it here; the default ignores the listener, which suits in-process transports.
     */
    default void setListener(TransportListener listener) {
    }

    /** Closes every channel (restoring unacked messages where the transport emulates acks) and the connection. */
    @Override
    void close();
}
