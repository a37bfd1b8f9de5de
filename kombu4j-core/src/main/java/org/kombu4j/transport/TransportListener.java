package org.kombu4j.transport;

import org.kombu4j.OperationalException;

/**
 * Told of faults a transport finds on its own, outside any call of the user's: above all a
 * connection lost while deliveries run on a {@link org.kombu4j.hub.Hub}, where no
 * {@code drainEvents} call is there to throw. Called on a transport or hub thread: be quick, do not
 * block, do not throw.
 */
@FunctionalInterface
public interface TransportListener {
    /** Does nothing. */
    TransportListener NONE = error -> { };

    /** The connection is gone; the transport will not recover by itself. */
    void onConnectionLost(OperationalException error);
}
