package org.kombu4j.amqp;

import org.kombu4j.testkit.TransportContract;
import org.kombu4j.testkit.brokers.LocalRabbit;

/** The conformance suite against a real RabbitMQ, in a virtual host of its own. */
class AmqpTransportContractTest extends TransportContract {
    @Override
    protected String url() {
        return LocalRabbit.url();
    }
}
