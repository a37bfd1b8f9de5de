package org.kombu4j.examples.interop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Exchange;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/**
 * Publishes orders to the direct exchange {@code examples.orders} (queue {@code examples.orders}), where
 * {@code orders_worker.py} — plain Python Kombu — takes them and answers on queue {@code examples.status};
 * then collects those answers. Both sides use the same URL string, e.g. {@code redis://127.0.0.1:6379/0} or
 * {@code amqp://guest:guest@127.0.0.1:5672//}. Run: start {@code python3 orders_worker.py URL N}, then
 * {@code OrdersWithPython URL N}.
 */
public final class OrdersWithPython {
    public static final Exchange ORDERS = Exchange.direct("examples.orders");
    public static final Queue ORDER_QUEUE = Queue.of("examples.orders", ORDERS, "order");
    public static final Queue STATUS_QUEUE = Queue.of("examples.status", Exchange.direct("examples.status"), "status");

    private OrdersWithPython() {}

    /** Sends {@code n} orders; returns the status messages received for them within {@code timeout}. */
    public static List<Map<?, ?>> run(Connection connection, int n, Duration timeout) {
        Producer producer = connection.producer(ORDERS);
        for (int i = 1; i <= n; i++) {
            producer.publish(Map.of("order_id", i, "sku", "sku-" + i, "quantity", i),
                    PublishOptions.builder().routingKey("order").declare(ORDER_QUEUE).build());
        }
        List<Map<?, ?>> statuses = new ArrayList<>();
        try (Consumer consumer = connection.consumer(STATUS_QUEUE).accept("json").prefetch(n)
                .onMessage((body, message) -> {
                    statuses.add((Map<?, ?>) body);
                    message.ack();
                })
                .consume()) {
            long end = System.nanoTime() + timeout.toNanos();
            while (statuses.size() < n && System.nanoTime() < end) {
                connection.drainEvents(Duration.ofMillis(100));
            }
        }
        return statuses;
    }

    public static void main(String[] args) {
        String url = args.length > 0 ? args[0] : System.getenv().getOrDefault("KOMBU4J_URL", "redis://127.0.0.1:6379/0");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        try (Connection connection = Connection.open(url)) {
            for (Map<?, ?> status : run(connection, n, Duration.ofSeconds(30))) {
                System.out.println("order " + status.get("order_id") + ": " + status.get("status") + " by " + status.get("by"));
            }
        }
    }
}
