package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.OperationalException;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;

/**
 * {@code publish_pipeline=N}: publishes await their replies in the background, in order, and a failure
 * is thrown by the next publish or by close — never dropped. On a private redis-server (SCRIPT FLUSH).
 */
class RedisPipelinedPublishTest {

    private static OutgoingMessage msg(String exchange, String rk, String body) {
        return new OutgoingMessage(exchange, rk, new RawMessage(body.getBytes(StandardCharsets.UTF_8), "text/plain",
                "utf-8", Map.of(), Map.of()), false);
    }

    /** The bodies in a list, oldest first (LPUSH adds at the left, consumers take from the right). */
    private static List<String> bodies(RedisConnection admin, String key) {
        List<String> out = new ArrayList<>();
        for (Object o : Resp.array(admin.call(List.of("LRANGE", key, "0", "-1")))) {
            String env = Resp.text(o);
            out.add(0, new String(java.util.Base64.getDecoder().decode(
                    env.replaceAll("(?s).*\"body\": ?\"([^\"]*)\".*", "$1")), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void pipelinedPublishesArriveInOrderAcrossAScriptFlush() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); RedisConnection admin = TestRedis.admin(redis)) {
            inOrderAcrossAScriptFlush(redis, admin, redis.url("?publish_pipeline=8"));
        }
    }

    /**
     * A user whose ACL refuses CLIENT TRACKING gets no client-side routing tables: its publishes run the
     * publish script, and in-flight EVALSHAs that meet NOSCRIPT are retried in order.
     */
    @Test
    void withoutTrackingPublishesRouteWithTheScriptInOrderAcrossAScriptFlush() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); RedisConnection admin = TestRedis.admin(redis)) {
            assertThat(admin.call(List.of("ACL", "SETUSER", "notrack", "on", ">pw", "~*", "&*", "+@all", "-client|tracking"))).isNotInstanceOf(org.kombu4j.redis.internal.RespError.class);
            String url = redis.url("?publish_pipeline=8").replace("redis://", "redis://notrack:pw@");
            try (Connection c = Connection.open(url)) {
                assertThat(((RedisTransport) c.transport()).routes().enabled()).isFalse();
            }
            inOrderAcrossAScriptFlush(redis, admin, url);
        }
    }

    private static void inOrderAcrossAScriptFlush(PrivateRedis redis, RedisConnection admin, String url) throws Exception {
        try (Connection c = Connection.open(url)) {
            assertThat(((RedisTransport) c.transport()).options().publishPipeline()).isEqualTo(8);
            Exchange direct = Exchange.of("pp.direct", ExchangeType.DIRECT);
            Queue q = Queue.of("pp.q", direct, "rk");
            TransportChannel ch = c.channel();
            ch.declareExchange(direct, false);
            ch.declareQueue(q, false);
            ch.bind(q.name(), q.bindings().get(0));
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                if (i == 250) {
                    admin.call(List.of("SCRIPT", "FLUSH")); // in-flight EVALSHAs meet NOSCRIPT and are retried
                }
                ch.publish(msg(i % 2 == 0 ? "pp.direct" : "", i % 2 == 0 ? "rk" : "pp.q", "m" + i));
                expected.add("m" + i);
            }
            ch.close();
            assertThat(bodies(admin, "pp.q")).containsExactlyElementsOf(expected);
            admin.call(List.of("DEL", "pp.q"));
        }
    }

    @Test
    void aFailedPipelinedPublishIsThrownByTheNextPublishOrByClose() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); RedisConnection admin = TestRedis.admin(redis);
                Connection c = Connection.open(redis.url("?publish_pipeline=true"))) {
            admin.call(List.of("SET", "pp.wrongtype", "not a list"));
            TransportChannel ch = c.channel();
            ch.publish(msg("", "pp.wrongtype", "lost?")); // WRONGTYPE: its reply may not be in yet
            assertThatThrownBy(() -> {
                for (int i = 0; i < 100; i++) {
                    ch.publish(msg("", "pp.ok", "x" + i));
                }
            }).isInstanceOf(OperationalException.class).hasMessageContaining("WRONGTYPE");
            ch.publish(msg("", "pp.ok", "after")); // reported once; the channel goes on

            TransportChannel ch2 = c.channel();
            ch2.publish(msg("", "pp.wrongtype", "lost too?"));
            assertThatThrownBy(ch2::close).isInstanceOf(OperationalException.class).hasMessageContaining("WRONGTYPE");
        }
    }

    @Test
    void aLostConnectionFailsThePipelinedPublishes() throws Exception {
        PrivateRedis redis = new PrivateRedis();
        try (Connection c = Connection.open(redis.url("?publish_pipeline=4"))) {
            TransportChannel ch = c.channel();
            ch.publish(msg("", "pp.q", "before"));
            redis.kill();
            assertThatThrownBy(() -> {
                for (int i = 0; i < 100; i++) {
                    ch.publish(msg("", "pp.q", "x" + i));
                }
            }).isInstanceOf(OperationalException.class);
        } finally {
            redis.close();
        }
    }

    /** A partial batch is written by the linger flush: a lone publish reaches Redis without another publish or close. */
    @Test
    void aLonePipelinedPublishIsWrittenWithoutWaitingForMore() throws Exception {
        try (PrivateRedis redis = new PrivateRedis(); RedisConnection admin = TestRedis.admin(redis);
                Connection c = Connection.open(redis.url("?publish_pipeline=64"))) {
            TransportChannel ch = c.channel();
            ch.publish(msg("", "pp.lone", "one"));
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (Resp.integer(admin.call(List.of("LLEN", "pp.lone"))) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(bodies(admin, "pp.lone")).containsExactly("one");
        }
    }

    @Test
    void theOptionIsChecked() {
        assertThatThrownBy(() -> Connection.open("redis://127.0.0.1:1/0?publish_pipeline=lots").transport())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("publish_pipeline");
    }
}
