package org.kombu4j.transport;

/**
 * Receives deliveries for one consumer tag. Called on the thread that drains events (or the hub
 * thread); it must not block for long.
 */
@FunctionalInterface
public interface DeliveryHandler {
    void onDelivery(TransportMessage message);
}
