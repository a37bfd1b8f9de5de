package org.kombu4j.spring;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.kombu4j.Connection;
import org.kombu4j.observe.KombuObserver;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * kombu4j's beans, each replaceable by one of the application's own: the {@link KombuConnectionFactory}, the shared
 * {@link Connection} (closed with the context), the {@link KombuTemplate}, and the machinery of {@link KombuListener}
 * methods. Listener bodies are converted with the application's {@link ObjectMapper} if it has one (Spring Boot's
 * Jackson auto-configuration makes one in web applications), else with one that has every Jackson module found and,
 * as Spring Boot's, ignores fields the target type does not have (producers, Python ones above all, add fields).
 */
@AutoConfiguration(after = JacksonAutoConfiguration.class)
@ConditionalOnClass(Connection.class)
@EnableConfigurationProperties(KombuProperties.class)
public class KombuAutoConfiguration {
    /**
     * Opens connections to {@code kombu4j.url} (else {@code $KOMBU4J_URL}, else {@code memory://}), each with every
     * {@link KombuObserver} bean registered (a {@code KombuMetrics} or {@code KombuTracing} bean, say), in order.
     */
    @Bean
    @ConditionalOnMissingBean
    public KombuConnectionFactory kombuConnectionFactory(KombuProperties properties,
            ObjectProvider<KombuObserver> observers) {
        String url = properties.resolvedUrl();
        Connection.open(url).close(); // checks the URL's syntax and scheme now; connecting stays lazy
        return () -> {
            Connection.Builder b = Connection.builder(url);
            observers.orderedStream().forEach(b::observer); // looked up per connection: no cycle at start-up
            return b.build();
        };
    }

    /** The application's connection, for publishing; listeners open their own. Closed with the context. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Connection kombuConnection(KombuConnectionFactory connections) {
        return connections.open();
    }

    @Bean
    @ConditionalOnMissingBean
    public KombuTemplate kombuTemplate(Connection connection, KombuProperties properties) {
        return new KombuTemplate(connection, properties.getDefaultExchange(), properties.getDefaultSerializer());
    }

    /** Static: a BeanPostProcessor is made before other beans, and must not need this configuration instance. */
    @Bean
    @ConditionalOnMissingBean
    public static KombuListenerAnnotationProcessor kombuListenerAnnotationProcessor() {
        return new KombuListenerAnnotationProcessor();
    }

    @Bean
    @ConditionalOnMissingBean
    public KombuListenerContainers kombuListenerContainers(KombuListenerAnnotationProcessor processor,
            KombuConnectionFactory connections, KombuProperties properties, ObjectProvider<ObjectMapper> mapper) {
        return new KombuListenerContainers(processor, connections, properties,
                mapper.getIfAvailable(() -> JsonMapper.builder().findAndAddModules()
                        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build()));
    }
}
