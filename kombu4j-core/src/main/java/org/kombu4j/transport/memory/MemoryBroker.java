package org.kombu4j.transport.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.kombu4j.Exchange;
import org.kombu4j.transport.virtual.ExchangeRouter;

/**
 * The state of one in-process broker (one per virtual host name): exchanges, bindings and queues.
 * Shared by every {@code memory://} connection in the JVM with the same virtual host, as a real
 * broker is shared by its clients; that is why the registry is static.
 */
final class MemoryBroker {
    private static final Map<String, MemoryBroker> BROKERS = new ConcurrentHashMap<>();

    final Map<String, Exchange> exchanges = new ConcurrentHashMap<>();
    final Map<String, List<ExchangeRouter.Row>> bindings = new ConcurrentHashMap<>();
    final Map<String, MemoryQueue> queues = new ConcurrentHashMap<>();

    static MemoryBroker forVirtualHost(String vhost) {
        return BROKERS.computeIfAbsent(vhost, v -> new MemoryBroker());
    }

    List<ExchangeRouter.Row> bindingsOf(String exchange) {
        return bindings.computeIfAbsent(exchange, e -> new CopyOnWriteArrayList<>());
    }

    /** Drops every binding to a queue (when the queue is deleted). */
    void unbindQueue(String queue) {
        for (List<ExchangeRouter.Row> rows : new ArrayList<>(bindings.values())) {
            rows.removeIf(r -> r.queue().equals(queue));
        }
    }
}
