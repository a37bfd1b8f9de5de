package org.kombu4j.transport;

/**
 * Receives deliveries for one consumer tag. Called on the thread that drains events (or the hub
 * thread); it must not block for long.
 *
 * <p>A handler may throw. Every transport then keeps this contract: the exception propagates out
 * of {@link Transport#drainEvents} unchanged (on a hub, out of the hub callback, which logs it);
 * the message handed over stays unacknowledged (an unacked delivery of its channel, restored when
 * the channel closes); and no other message is lost or stranded: the rest of a batch taken from
 * the broker is still delivered or given back to its queue, and deliveries to the other consumers
 * go on at the next drain. {@link org.kombu4j.Consumer} turns a handler failure into its
 * {@link org.kombu4j.HandlerFailure} policy on top of this.
 */
@FunctionalInterface
public interface DeliveryHandler {
    void onDelivery(TransportMessage message);
}
