package org.kombu4j.amqp;

import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.testkit.TransportContract;
import org.kombu4j.testkit.brokers.LocalRabbit;

/** The conformance suite against a real RabbitMQ, in a virtual host of its own. */
class AmqpTransportContractTest extends TransportContract {
    @Override
    protected String url() {
        return LocalRabbit.url();
    }

    /** RabbitMQ routes and drops an unroutable publish itself (returning it only when mandatory). */
    @Override
    protected boolean routesInKombu4j() {
        return false;
    }

    /** RabbitMQ counts deliveries (x-delivery-limit) only on quorum queues. */
    @Override
    protected Queue.Builder countingDeliveries(Queue.Builder queue) {
        return queue.argument("x-queue-type", "quorum");
    }

    /** The delay levels stay (shared, as Celery's); the last hops of this test's destinations go. */
    @Override
    protected void deleteDelayQueues(Connection c, String exchange, String routingKey) {
        LastHops.delete(c, exchange, routingKey);
    }
}
