package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.KombuException;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.testkit.net.FaultProxy;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * The connection is cut by a TCP proxy while publishing: every publish either returns — and then its
 * message is in the queue (at least once: a retried publish whose first attempt reached Redis may
 * appear twice) — or throws. None is dropped silently.
 */
class RedisPublishCutTest {
    private static final String DIRECT_URL = "redis://127.0.0.1:6379/13";

    @Test
    void aCutMidPublishIsRetriedNeverDropped() throws Exception {
        RetryPolicy retry = RetryPolicy.builder().maxRetries(5).intervalStart(Duration.ofMillis(20))
                .intervalStep(Duration.ofMillis(20)).intervalMax(Duration.ofMillis(200)).build();
        int[] outcome = run(retry);
        assertThat(outcome[0]).as("the retry policy carried publishes across the cuts").isEqualTo(3000);
    }

    @Test
    void withoutRetriesACutIsReportedToTheCallerNeverDropped() throws Exception {
        int[] outcome = run(RetryPolicy.NONE);
        assertThat(outcome[1]).as("publishes that met a cut threw").isGreaterThanOrEqualTo(1);
    }

    /** Publishes 3,000 messages through a proxy that cuts every 500; returns {returned, failed}. */
    private int[] run(RetryPolicy retry) throws Exception {
        TestRedis.require();
        String q = "k4j.cut." + UUID.randomUUID();
        Set<Integer> returned = new HashSet<>();
        List<Integer> failed = new ArrayList<>();
        int total = 3000;
        try (FaultProxy proxy = FaultProxy.plain("127.0.0.1", 6379);
                Connection conn = Connection.open("redis://127.0.0.1:" + proxy.port() + "/13?socket_timeout=2")) {
            Producer p = Producer.builder(conn).retry(retry).build();
            conn.channel().declareQueue(Queue.of(q), false);
            for (int i = 0; i < total; i++) {
                if (i % 500 == 250) {
                    proxy.cutAll();
                }
                try {
                    p.publish(i, PublishOptions.routingKey(q));
                    returned.add(i);
                } catch (KombuException e) {
                    failed.add(i);
                }
            }
        }
        Set<Integer> inQueue = new HashSet<>();
        try (Connection c = Connection.open(DIRECT_URL)) {
            TransportChannel ch = c.channel();
            TransportMessage m;
            while ((m = ch.get(q, true)) != null) {
                inQueue.add(Integer.parseInt(new String(m.content().body(), java.nio.charset.StandardCharsets.UTF_8)));
            }
            ch.deleteQueue(q);
        }
        assertThat(returned.size() + failed.size()).isEqualTo(total);
        assertThat(inQueue).as("every publish that returned is in the queue").containsAll(returned);
        return new int[] {returned.size(), failed.size()};
    }
}
