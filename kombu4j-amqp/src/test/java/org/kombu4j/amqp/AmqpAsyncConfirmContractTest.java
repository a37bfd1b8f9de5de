package org.kombu4j.amqp;

import org.kombu4j.testkit.TransportContract;

/** The conformance suite again with {@code confirm_publish=async}: the contract holds in that mode too. */
class AmqpAsyncConfirmContractTest extends TransportContract {
    @Override
    protected String url() {
        return RabbitBroker.url() + "?confirm_publish=async";
    }
}
