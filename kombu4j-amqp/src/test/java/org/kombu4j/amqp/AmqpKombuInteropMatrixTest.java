package org.kombu4j.amqp;

import org.kombu4j.testkit.KombuInteropMatrix;

/** Every serializer × compressor both ways with Python Kombu over RabbitMQ. */
class AmqpKombuInteropMatrixTest extends KombuInteropMatrix {
    @Override
    protected String url() {
        return RabbitBroker.url();
    }

    @Override
    protected String pythonUrl() {
        return RabbitBroker.url();
    }
}
