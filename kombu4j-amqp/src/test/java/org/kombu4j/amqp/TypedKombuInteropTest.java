package org.kombu4j.amqp;

import org.kombu4j.testkit.TypedKombuInterop;
import org.kombu4j.testkit.brokers.LocalRabbit;

/** Typed bodies (datetime, Decimal, UUID) both ways with Python Kombu over RabbitMQ, in each JSON mode. */
class TypedKombuInteropTest extends TypedKombuInterop {
    @Override
    protected String url() {
        return LocalRabbit.url();
    }
}
