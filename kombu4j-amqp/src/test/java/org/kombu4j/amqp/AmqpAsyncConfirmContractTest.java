package org.kombu4j.amqp;

import org.kombu4j.testkit.brokers.LocalRabbit;

/** The conformance suite again with {@code confirm_publish=async}: the contract holds in that mode too. */
class AmqpAsyncConfirmContractTest extends AmqpTransportContractTest {
    @Override
    protected String url() {
        return LocalRabbit.url() + "?confirm_publish=async";
    }
}
