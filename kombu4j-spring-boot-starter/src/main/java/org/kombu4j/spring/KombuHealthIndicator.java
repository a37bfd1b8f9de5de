package org.kombu4j.spring;

import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.Connection;
import org.kombu4j.KombuException;
import org.kombu4j.RetryPolicy;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * Health {@code kombu4j}: UP when the application's {@link Connection} is connected or connects now (one attempt,
 * no retry, so a check costs nothing while connected), DOWN with the error otherwise. Details: the URL with its
 * password masked, and each listener's state.
 */
public class KombuHealthIndicator implements HealthIndicator {
    private final Connection connection;
    private final @Nullable KombuListenerContainers listeners;

    public KombuHealthIndicator(Connection connection, @Nullable KombuListenerContainers listeners) {
        this.connection = connection;
        this.listeners = listeners;
    }

    @Override
    public Health health() {
        Health.Builder health;
        try {
            if (!connection.isConnected()) {
                connection.ensureConnection(RetryPolicy.NONE);
            }
            health = Health.up();
        } catch (KombuException e) {
            health = Health.down(e);
        }
        health.withDetail("url", connection.urls().stream().map(BrokerUrl::masked).collect(Collectors.joining(";")));
        if (listeners != null && !listeners.states().isEmpty()) {
            health.withDetail("listeners", listeners.states());
        }
        return health.build();
    }
}
