package org.kombu4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A queue's binding to an exchange: the routing key (a pattern for topic exchanges) and arguments
 * (for headers exchanges, the headers to match and {@code x-match}: {@code all} or {@code any}).
 */
public final class Binding {
    private final Exchange exchange;
    private final String routingKey;
    private final Map<String, Object> arguments;

    private Binding(Exchange exchange, String routingKey, Map<String, Object> arguments) {
        this.exchange = Objects.requireNonNull(exchange, "exchange");
        this.routingKey = Objects.requireNonNull(routingKey, "routingKey");
        this.arguments = Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    }

    public static Binding of(Exchange exchange, String routingKey) {
        return new Binding(exchange, routingKey, Map.of());
    }

    public static Binding of(Exchange exchange, String routingKey, Map<String, Object> arguments) {
        return new Binding(exchange, routingKey, arguments);
    }

    public Exchange exchange() {
        return exchange;
    }

    public String routingKey() {
        return routingKey;
    }

    public Map<String, Object> arguments() {
        return arguments;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Binding)) {
            return false;
        }
        Binding b = (Binding) o;
        return exchange.name().equals(b.exchange.name()) && routingKey.equals(b.routingKey) && arguments.equals(b.arguments);
    }

    @Override
    public int hashCode() {
        return Objects.hash(exchange.name(), routingKey, arguments);
    }

    @Override
    public String toString() {
        return "Binding(" + exchange.name() + " -[" + routingKey + "]->)";
    }
}
