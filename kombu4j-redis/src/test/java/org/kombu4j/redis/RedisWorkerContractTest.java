package org.kombu4j.redis;

import org.junit.jupiter.api.BeforeEach;
import org.kombu4j.testkit.WorkerContract;

/** The worker contract on the shared Redis, database 14. */
class RedisWorkerContractTest extends WorkerContract {
    @BeforeEach
    void redisIsUp() {
        TestRedis.require();
    }

    @Override
    protected String url() {
        return "redis://127.0.0.1:6379/14";
    }
}
