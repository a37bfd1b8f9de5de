package org.kombu4j.amqp;

import org.kombu4j.Connection;

/** Deletes the last-hop queues of the destinations a test delayed to, and no one else's. */
final class LastHops {
    /** Last-hop queues per destination: one per bucket from 0 up to the longest direct delay. */
    static final int PER_DESTINATION = DelayedDelivery.DIRECT_SECONDS * 1000 / DelayedDelivery.BUCKET_MS + 1;

    private LastHops() {
    }

    /**
     * Deletes the last hops of {@code exchange}/{@code routingKey}. One that still holds a message (a test that failed
     * before it arrived) is kept by {@link AmqpTransport#deleteDelayQueues}; its TTL is at most
     * {@link DelayedDelivery#DIRECT_SECONDS}, so one more try after that leaves none behind.
     */
    static void delete(Connection c, String exchange, String routingKey) {
        AmqpTransport t = (AmqpTransport) c.transport();
        if (t.deleteDelayQueues(exchange, routingKey) < PER_DESTINATION) {
            try {
                Thread.sleep(DelayedDelivery.DIRECT_SECONDS * 1000L + 500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            t.deleteDelayQueues(exchange, routingKey);
        }
    }
}
