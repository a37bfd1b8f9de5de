package org.kombu4j.redis;

import org.junit.jupiter.api.BeforeEach;
import org.kombu4j.testkit.TransportContract;

/** The conformance suite on the shared Redis, database 14. */
class RedisTransportContractTest extends TransportContract {
    @BeforeEach
    void redisIsUp() {
        TestRedis.require();
    }

    @Override
    protected String url() {
        return "redis://127.0.0.1:6379/14";
    }
}
