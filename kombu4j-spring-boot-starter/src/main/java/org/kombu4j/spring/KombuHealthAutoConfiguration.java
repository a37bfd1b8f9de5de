package org.kombu4j.spring;

import org.kombu4j.Connection;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The {@code kombu4j} health indicator, when Actuator is on the class path ({@code management.health.kombu4j.enabled}). */
@AutoConfiguration(after = KombuAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(Connection.class)
@ConditionalOnEnabledHealthIndicator("kombu4j")
public class KombuHealthAutoConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "kombu4jHealthIndicator")
    public KombuHealthIndicator kombu4jHealthIndicator(Connection connection,
            ObjectProvider<KombuListenerContainers> listeners) {
        return new KombuHealthIndicator(connection, listeners.getIfAvailable());
    }
}
