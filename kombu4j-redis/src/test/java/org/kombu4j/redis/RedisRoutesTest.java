package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Queue;
import org.kombu4j.UnroutableException;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;

/**
 * Publishes route on client-side tables that Redis keeps valid with CLIENT TRACKING invalidations:
 * a binding or exchange-type change written by another client (here a raw connection writing what
 * Python Kombu writes) is seen by the very next publish. On a private redis-server.
 */
class RedisRoutesTest {
    private static final String SEP = "\u0006\u0016";

    private static OutgoingMessage msg(String exchange, String rk, boolean mandatory) {
        return new OutgoingMessage(exchange, rk, new RawMessage("x".getBytes(StandardCharsets.UTF_8), "text/plain",
                "utf-8", Map.of(), Map.of()), mandatory);
    }

    private static long llen(RedisConnection admin, String key) {
        return Resp.integer(admin.call(List.of("LLEN", key)));
    }

    @Test
    void bindingChangesByAnotherClientReachTheNextPublish() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); RedisConnection admin = TestRedis.admin(redis);
                Connection c = Connection.open(redis.url(""))) {
            assertThat(((RedisTransport) c.transport()).routes().enabled()).isTrue();
            Exchange direct = Exchange.of("rt.direct", ExchangeType.DIRECT);
            Queue q1 = Queue.of("rt.q1", direct, "rk");
            TransportChannel ch = c.channel();
            ch.declareExchange(direct, false);
            ch.declareQueue(q1, false);
            ch.bind(q1.name(), q1.bindings().get(0));
            ch.publish(msg("rt.direct", "rk", false)); // fills the table
            assertThat(llen(admin, "rt.q1")).isEqualTo(1);

            // Another process binds rt.q2 the way Python Kombu does (SADD of "rk SEP pattern SEP queue").
            admin.call(List.of("SADD", "_kombu.binding.rt.direct", "rk" + SEP + SEP + "rt.q2"));
            ch.publish(msg("rt.direct", "rk", false));
            assertThat(llen(admin, "rt.q1")).isEqualTo(2);
            assertThat(llen(admin, "rt.q2")).isEqualTo(1);

            // ... and unbinds rt.q1.
            admin.call(List.of("SREM", "_kombu.binding.rt.direct", "rk" + SEP + SEP + "rt.q1"));
            ch.publish(msg("rt.direct", "rk", false));
            assertThat(llen(admin, "rt.q1")).isEqualTo(2);
            assertThat(llen(admin, "rt.q2")).isEqualTo(2);

            // Everything unbound: a mandatory publish is returned, a plain one goes nowhere.
            admin.call(List.of("DEL", "_kombu.binding.rt.direct"));
            assertThatThrownBy(() -> ch.publish(msg("rt.direct", "rk", true))).isInstanceOf(UnroutableException.class);
            ch.publish(msg("rt.direct", "rk", false));
            assertThat(llen(admin, "rt.q2")).isEqualTo(2);

            // A topic exchange declared elsewhere (its type in kombu4j's hash) routes with AMQP semantics.
            admin.call(List.of("HSET", "_kombu4j.exchange.types", "rt.topic", "topic"));
            admin.call(List.of("SADD", "_kombu.binding.rt.topic", "a.#" + SEP + "ignored" + SEP + "rt.q1"));
            ch.publish(msg("rt.topic", "a.b.c", false));
            ch.publish(msg("rt.topic", "b.a", false));
            assertThat(llen(admin, "rt.q1")).isEqualTo(3);
            admin.call(List.of("DEL", "_kombu.binding.rt.topic", "_kombu.binding.rt.direct", "_kombu4j.exchange.types",
                    "rt.q1", "rt.q2", "_kombu4j.queues"));
        }
    }

    @Test
    void aMessageRoutedToSeveralQueuesReachesEachOnce() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); RedisConnection admin = TestRedis.admin(redis);
                Connection c = Connection.open(redis.url("?publish_pipeline=4"))) {
            Exchange topic = Exchange.of("rt.multi", ExchangeType.TOPIC);
            TransportChannel ch = c.channel();
            ch.declareExchange(topic, false);
            for (String q : List.of("rt.m1", "rt.m2", "rt.m3")) {
                Queue queue = Queue.of(q, topic, "k.#");
                ch.declareQueue(queue, false);
                ch.bind(q, queue.bindings().get(0));
            }
            ch.bind("rt.m1", Queue.of("rt.m1", topic, "#").bindings().get(0)); // two matching bindings, one copy
            for (int i = 0; i < 10; i++) {
                ch.publish(msg("rt.multi", "k.x", false));
            }
            ch.close();
            for (String q : List.of("rt.m1", "rt.m2", "rt.m3")) {
                assertThat(llen(admin, q)).as(q).isEqualTo(10);
            }
        }
    }
}
