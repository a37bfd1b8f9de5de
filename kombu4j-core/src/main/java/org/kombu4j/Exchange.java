package org.kombu4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An exchange, as an immutable value. Defaults follow Kombu: durable, not auto-delete, type direct.
 * The nameless {@link #DEFAULT} exchange routes a message to the queue named by its routing key.
 */
public final class Exchange {
    /** The default (nameless, direct) exchange: routing key = queue name. */
    public static final Exchange DEFAULT = new Exchange("", ExchangeType.DIRECT, true, false, Map.of());

    private final String name;
    private final ExchangeType type;
    private final boolean durable;
    private final boolean autoDelete;
    private final Map<String, Object> arguments;

    private Exchange(String name, ExchangeType type, boolean durable, boolean autoDelete, Map<String, Object> arguments) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        this.durable = durable;
        this.autoDelete = autoDelete;
        this.arguments = Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    }

    public static Exchange of(String name, ExchangeType type) {
        return new Exchange(name, type, true, false, Map.of());
    }

    public static Exchange direct(String name) {
        return of(name, ExchangeType.DIRECT);
    }

    public static Exchange topic(String name) {
        return of(name, ExchangeType.TOPIC);
    }

    public static Exchange fanout(String name) {
        return of(name, ExchangeType.FANOUT);
    }

    public static Exchange headers(String name) {
        return of(name, ExchangeType.HEADERS);
    }

    public Exchange durable(boolean value) {
        return new Exchange(name, type, value, autoDelete, arguments);
    }

    public Exchange autoDelete(boolean value) {
        return new Exchange(name, type, durable, value, arguments);
    }

    public Exchange argument(String key, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(arguments);
        copy.put(key, value);
        return new Exchange(name, type, durable, autoDelete, copy);
    }

    public Exchange arguments(Map<String, Object> args) {
        return new Exchange(name, type, durable, autoDelete, args);
    }

    public String name() {
        return name;
    }

    public ExchangeType type() {
        return type;
    }

    public boolean isDurable() {
        return durable;
    }

    public boolean isAutoDelete() {
        return autoDelete;
    }

    public Map<String, Object> arguments() {
        return arguments;
    }

    public boolean isDefault() {
        return name.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Exchange)) {
            return false;
        }
        Exchange e = (Exchange) o;
        return name.equals(e.name) && type == e.type && durable == e.durable && autoDelete == e.autoDelete
                && arguments.equals(e.arguments);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, durable, autoDelete, arguments);
    }

    @Override
    public String toString() {
        return "Exchange(" + (name.isEmpty() ? "<default>" : name) + ", " + type.wireName() + ")";
    }
}
