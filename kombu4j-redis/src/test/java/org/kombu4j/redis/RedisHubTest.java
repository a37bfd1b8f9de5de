package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import java.util.concurrent.CopyOnWriteArrayList;
import org.kombu4j.hub.Hub;
import org.kombu4j.testkit.brokers.PrivateRedis;

/** Deliveries on a Hub thread: many queues on one event connection, no polling. */
class RedisHubTest {
    private static final String URL = "redis://127.0.0.1:6379/14";

    @Test
    void sixtyQueuesDeliverOnTheHubThread() throws Exception {
        TestRedis.require();
        String prefix = "k4j.hubtest." + UUID.randomUUID().toString().substring(0, 8) + ".";
        List<Queue> queues = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            queues.add(Queue.of(prefix + i));
        }
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Map<Object, Boolean> got = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(queues.size() * 2);
        try (Hub hub = new Hub(); Connection c = Connection.open(URL); Connection producer = Connection.open(URL)) {
            Thread loop = new Thread(hub::runForever, "hub-loop");
            loop.start();
            c.registerWithEventLoop(hub);
            c.consumer(queues.toArray(new Queue[0])).prefetch(10).onMessage((body, m) -> {
                threads.add(Thread.currentThread().getName());
                got.put(body, true);
                m.ack();
                all.countDown();
            }).consume();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < queues.size(); i++) {
                    producer.producer().publish(round * 1000 + i, queues.get(i).name());
                }
                Thread.sleep(50);
            }
            assertThat(all.await(10, TimeUnit.SECONDS)).as("all delivered").isTrue();
            assertThat(got).hasSize(120);
            assertThat(threads).containsExactly("hub-loop");
            hub.stop();
            loop.join(2000);
        } finally {
            try (Connection c = Connection.open(URL)) {
                for (Queue q : queues) {
                    c.channel().deleteQueue(q.name());
                }
            }
        }
    }

    @Test
    void fanoutAndTopicOnTheHub() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); Hub hub = new Hub(); Connection c = Connection.open(redis.url(""));
                Connection producer = Connection.open(redis.url(""));
                RedisConnection admin = TestRedis.admin(redis)) {
            Thread loop = new Thread(hub::runForever, "hub-loop");
            loop.start();
            c.registerWithEventLoop(hub);
            Exchange fan = Exchange.of("hub.fan", ExchangeType.FANOUT);
            Exchange topic = Exchange.of("hub.topic", ExchangeType.TOPIC);
            List<Object> got = new CopyOnWriteArrayList<>();
            CountDownLatch latch = new CountDownLatch(3);
            c.consumer(Queue.of("hub.f", fan, ""), Queue.of("hub.t", topic, "a.#")).onMessage((body, m) -> {
                got.add(body);
                m.ack();
                latch.countDown();
            }).consume();
            // On a hub the subscription is made on the hub thread: wait until Redis has it.
            for (int i = 0; i < 100 && Resp.integer(admin.call(List.of("PUBSUB", "NUMPAT"))) < 2; i++) {
                Thread.sleep(20);
            }
            producer.producer(fan).publish("f1");
            producer.producer(fan).publish("f2", "any.key");
            producer.producer(topic).publish("t1", "a.b.c");
            producer.producer(topic).publish("t2", "b");
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200);
            assertThat(got).containsExactlyInAnyOrder("f1", "f2", "t1");
            hub.stop();
            loop.join(2000);
        }
    }

    @Test
    void anAckFromAHubTimerReachesRedisWhileTheQueueIsIdle() throws Exception {
        // Acks made on the event thread are batched until the dispatch that made them ends; one made later
        // by a hub callback (here a timer) has no dispatch to end, and must still be sent, not left in
        // unacked until visibility_timeout redelivers the message.
        try (PrivateRedis redis = new PrivateRedis(); Hub hub = new Hub(); Connection c = Connection.open(redis.url(""));
                Connection producer = Connection.open(redis.url("")); RedisConnection admin = TestRedis.admin(redis)) {
            Thread loop = new Thread(hub::runForever, "hub-loop");
            loop.start();
            c.registerWithEventLoop(hub);
            Queue q = Queue.of("hub.later");
            CountDownLatch acked = new CountDownLatch(1);
            c.consumer(q).onMessage((body, m) -> hub.callLater(java.time.Duration.ofMillis(20), () -> {
                m.ack();
                acked.countDown();
            })).consume();
            producer.producer().publish("later", q.name());
            assertThat(acked.await(10, TimeUnit.SECONDS)).as("acked on the hub").isTrue();
            long records = -1;
            for (int i = 0; i < 100; i++) {
                records = Resp.integer(admin.call(List.of("HLEN", "unacked")));
                if (records == 0) {
                    break;
                }
                Thread.sleep(20);
            }
            assertThat(records).as("records left in unacked 2 s after the ack").isZero();
            hub.stop();
            loop.join(2000);
        }
    }
}
