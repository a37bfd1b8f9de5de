package org.kombu4j.amqp;

import org.kombu4j.testkit.KombuInteropMatrix;
import org.kombu4j.testkit.brokers.LocalRabbit;

/** Every serializer × compressor both ways with Python Kombu over RabbitMQ. */
class AmqpKombuInteropMatrixTest extends KombuInteropMatrix {
    @Override
    protected String url() {
        return LocalRabbit.url();
    }

    @Override
    protected String pythonUrl() {
        return LocalRabbit.url();
    }
}
