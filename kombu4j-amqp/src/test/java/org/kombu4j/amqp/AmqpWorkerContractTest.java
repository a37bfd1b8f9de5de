package org.kombu4j.amqp;

import org.kombu4j.testkit.WorkerContract;
import org.kombu4j.testkit.brokers.LocalRabbit;

/** The worker contract against a real RabbitMQ, in a virtual host of its own. */
class AmqpWorkerContractTest extends WorkerContract {
    @Override
    protected String url() {
        return LocalRabbit.url();
    }
}
