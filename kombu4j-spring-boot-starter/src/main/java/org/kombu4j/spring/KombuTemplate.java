package org.kombu4j.spring;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;

/**
 * Publishes on the application's {@link Connection}. Exchanges named by string are used as they are (not declared):
 * declare them with {@link PublishOptions.Builder#declare} through {@link #publish(Object, PublishOptions)}, or by a
 * listener bound to them. Thread-safe.
 *
 * <pre>{@code
 * template.send("orders", "order.created", new OrderCreated(42, "book"));
 * }</pre>
 */
public class KombuTemplate {
    private final Producer producer;
    private final Exchange defaultExchange;

    /** Publishes on {@code connection} with {@code serializer}; {@link #send(String, Object)} goes to {@code defaultExchange}. */
    public KombuTemplate(Connection connection, String defaultExchange, String serializer) {
        this.defaultExchange = defaultExchange.isEmpty() ? Exchange.DEFAULT : Exchange.direct(defaultExchange);
        this.producer = Producer.builder(connection).serializer(serializer).autoDeclare(false).build();
    }

    /** Publishes {@code body} to the default exchange ({@code kombu4j.default-exchange}) with {@code routingKey}. */
    public void send(String routingKey, @Nullable Object body) {
        producer.publish(body, PublishOptions.builder().exchange(defaultExchange).routingKey(routingKey).build());
    }

    /** Publishes {@code body} to {@code exchange} ({@code ""}: the default exchange) with {@code routingKey}. */
    public void send(String exchange, String routingKey, @Nullable Object body) {
        Objects.requireNonNull(exchange, "exchange");
        Exchange ex = exchange.isEmpty() ? Exchange.DEFAULT : Exchange.direct(exchange);
        producer.publish(body, PublishOptions.builder().exchange(ex).routingKey(routingKey).build());
    }

    /**
     * Publishes {@code body} as {@code options} say (exchange, declarations, headers, priority, delay...). Named
     * apart from {@code send} so that a {@code String} body never makes a call ambiguous.
     */
    public void publish(@Nullable Object body, PublishOptions options) {
        producer.publish(body, options);
    }

    /** The underlying producer, for batches ({@link Producer#batch(int)}) and tracked publishes. */
    public Producer producer() {
        return producer;
    }
}
