package org.kombu4j.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code kombu4j.*} properties. Every one has a default, so an application with no configuration at all runs on
 * {@code $KOMBU4J_URL}, else the in-process {@code memory://} broker.
 */
@ConfigurationProperties("kombu4j")
public class KombuProperties {
    /**
     * Broker URL, e.g. redis://localhost:6379/0 or amqp://guest:guest@localhost:5672//; several separated by ';'
     * are failover alternatives. Default: the KOMBU4J_URL environment variable, else memory://.
     */
    private @Nullable String url;

    /**
     * Messages each listener holds unacknowledged at most (the consumer's prefetch); raised to the listener's
     * concurrency if lower, so that every handler thread can be busy.
     */
    private int prefetch = 10;

    /** Handler threads per listener, unless the annotation gives its own. */
    private int concurrency = 1;

    /** Content types (or serializer names) listeners accept; anything else is refused as undecodable. */
    private List<String> accept = new ArrayList<>(List.of("json"));

    /** Exchange KombuTemplate.send(routingKey, body) publishes to; empty: the default exchange. */
    private String defaultExchange = "";

    /** Serializer of KombuTemplate publishes: json, text, raw, msgpack or yaml. */
    private String defaultSerializer = "json";

    /**
     * How long closing the application context waits for listener handlers in progress to finish; what is not
     * finished by then goes back to its queue unacknowledged.
     */
    private Duration shutdownTimeout = Duration.ofSeconds(30);

    /** The URL to use: {@code kombu4j.url}, else {@code $KOMBU4J_URL}, else {@code memory://}. */
    public String resolvedUrl() {
        if (url != null && !url.isBlank()) {
            return url;
        }
        String env = System.getenv(Connection.URL_ENV);
        return env == null || env.isBlank() ? Connection.DEFAULT_URL : env;
    }

    public @Nullable String getUrl() {
        return url;
    }

    public void setUrl(@Nullable String url) {
        this.url = url;
    }

    public int getPrefetch() {
        return prefetch;
    }

    public void setPrefetch(int prefetch) {
        if (prefetch < 1) {
            throw new IllegalArgumentException("kombu4j.prefetch must be at least 1, got " + prefetch);
        }
        this.prefetch = prefetch;
    }

    public int getConcurrency() {
        return concurrency;
    }

    public void setConcurrency(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("kombu4j.concurrency must be at least 1, got " + concurrency);
        }
        this.concurrency = concurrency;
    }

    public List<String> getAccept() {
        return accept;
    }

    public void setAccept(List<String> accept) {
        this.accept = accept;
    }

    public String getDefaultExchange() {
        return defaultExchange;
    }

    public void setDefaultExchange(String defaultExchange) {
        this.defaultExchange = defaultExchange;
    }

    public String getDefaultSerializer() {
        return defaultSerializer;
    }

    public void setDefaultSerializer(String defaultSerializer) {
        this.defaultSerializer = defaultSerializer;
    }

    public Duration getShutdownTimeout() {
        return shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        if (shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("kombu4j.shutdown-timeout must not be negative, got " + shutdownTimeout);
        }
        this.shutdownTimeout = shutdownTimeout;
    }
}
