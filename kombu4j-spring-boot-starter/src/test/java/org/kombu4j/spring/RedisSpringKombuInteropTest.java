package org.kombu4j.spring;

import org.junit.jupiter.api.BeforeAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link SpringKombuInteropContract} on the shared Redis. */
class RedisSpringKombuInteropTest extends SpringKombuInteropContract {
    @BeforeAll
    static void requireRedis() {
        TestBrokers.url("redis");
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("kombu4j.url", () -> TestBrokers.REDIS_URL);
        registry.add("sample.queue", () -> QUEUE);
        registry.add("sample.exchange", () -> EXCHANGE);
    }

    @Override
    String url() {
        return TestBrokers.REDIS_URL;
    }
}
