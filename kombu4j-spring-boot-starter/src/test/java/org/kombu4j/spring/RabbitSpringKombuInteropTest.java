package org.kombu4j.spring;

import org.junit.jupiter.api.BeforeAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link SpringKombuInteropContract} on the shared RabbitMQ, in the tests' virtual host. */
class RabbitSpringKombuInteropTest extends SpringKombuInteropContract {
    @BeforeAll
    static void requireRabbit() {
        TestBrokers.url("amqp");
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("kombu4j.url", () -> TestBrokers.url("amqp"));
        registry.add("sample.queue", () -> QUEUE);
        registry.add("sample.exchange", () -> EXCHANGE);
    }

    @Override
    String url() {
        return TestBrokers.url("amqp");
    }
}
