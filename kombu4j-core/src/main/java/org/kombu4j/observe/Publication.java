package org.kombu4j.observe;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.transport.RawMessage;

/**
 * A message being published, as {@link KombuObserver#publishing} and {@link KombuObserver#published} see it: where
 * it goes and what it carries. Headers added with {@link #setHeader} during {@link KombuObserver#publishing} travel
 * with the message (in its Kombu {@code headers}, where Python Kombu and Celery read them). Not thread-safe: one
 * publish, one thread.
 */
public final class Publication {
    private final Connection connection;
    private final String exchange;
    private final String routingKey;
    private RawMessage content;
    private @Nullable Map<String, Object> addedHeaders;

    /** Made by {@link org.kombu4j.Producer} for each publish while an observer is registered. */
    public Publication(Connection connection, String exchange, String routingKey, RawMessage content) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.exchange = Objects.requireNonNull(exchange, "exchange");
        this.routingKey = Objects.requireNonNull(routingKey, "routingKey");
        this.content = Objects.requireNonNull(content, "content");
    }

    public Connection connection() {
        return connection;
    }

    /** The exchange name; empty for the default exchange. */
    public String exchange() {
        return exchange;
    }

    public String routingKey() {
        return routingKey;
    }

    /** The message's headers, with those added so far. */
    public Map<String, Object> headers() {
        return content().headers();
    }

    /** The message's properties under Kombu's names. */
    public Map<String, Object> properties() {
        return content.properties();
    }

    /** The size of the body as sent (after serialization and compression). */
    public int bodySize() {
        return content.body().length;
    }

    /** Adds or replaces a header of the message; only meaningful in {@link KombuObserver#publishing}. */
    public void setHeader(String name, Object value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (addedHeaders == null) {
            addedHeaders = new LinkedHashMap<>(content.headers());
        }
        addedHeaders.put(name, value);
    }

    /** The content to send: the original one, or a copy carrying the headers added. */
    public RawMessage content() {
        if (addedHeaders != null) {
            content = new RawMessage(content.body(), content.contentType(), content.contentEncoding(), addedHeaders,
                    content.properties());
            addedHeaders = null;
        }
        return content;
    }
}
