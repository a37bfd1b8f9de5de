package org.kombu4j.celery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.testkit.brokers.PrivateRedis;

/** The worker outlives its broker: a Redis restart is a reconnect, not the end of the worker. */
class CeleryWorkerRestartTest {

    @Test
    void workerReconnectsAfterRedisRestart() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("");
            try (Connection conn = Connection.open(url);
                    ResultBackend results = ResultBackends.open(url, url);
                    CeleryWorker worker = CeleryWorker.builder(conn, TaskRegistry.of(JavaTasks.class))
                            .backend(results).concurrency(2).build().start()) {
                try (Connection c = Connection.open(url); CeleryClient client = new CeleryClient(c,
                        ResultBackends.open(url, url))) {
                    assertThat(client.send("examples.add", 1, 2).get(Duration.ofSeconds(20))).isEqualTo(3);
                }
                redis.kill();
                redis.start();
                try (Connection c = Connection.open(url); CeleryClient client = new CeleryClient(c,
                        ResultBackends.open(url, url))) {
                    assertThat(client.send("examples.add", List.of(2, 2), Map.of(), TaskOptions.NONE)
                            .get(Duration.ofSeconds(30))).isEqualTo(4);
                }
            }
        }
    }
}
