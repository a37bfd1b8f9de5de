package org.kombu4j;

import org.kombu4j.transport.TransportChannel;

/** Declares entities on a channel: an exchange, or a queue with its exchanges and bindings. */
final class Entities {
    private Entities() {
    }

    static void declare(TransportChannel ch, Object entity) {
        if (entity instanceof Exchange) {
            Exchange e = (Exchange) entity;
            if (!e.isDefault()) {
                ch.declareExchange(e, false);
            }
        } else if (entity instanceof Queue) {
            declareQueue(ch, (Queue) entity);
        } else {
            throw new ConfigurationException("cannot declare " + entity + ": expected an Exchange or a Queue");
        }
    }

    static void declareQueue(TransportChannel ch, Queue q) {
        for (Binding b : q.bindings()) {
            if (!b.exchange().isDefault()) {
                ch.declareExchange(b.exchange(), false);
            }
        }
        ch.declareQueue(q, false);
        for (Binding b : q.bindings()) {
            if (!b.exchange().isDefault()) {
                ch.bind(q.name(), b);
            }
        }
    }
}
