package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Binding;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.TransportChannel;

/**
 * A queue whose name contains the binding separator is routed, listed and deleted by the same rule in
 * the client as by the publish script in Redis. On database 12 (no other test uses it), keys named by a
 * random id.
 */
class RedisBindingMemberTest {
    private static final int DB = 12;
    private static final String SEP = "\u0006\u0016";
    private RedisConnection raw;
    private String id;

    @BeforeEach
    void setUp() {
        raw = TestRedis.raw(DB);
        id = TestRedis.uniqueId("k4j.member");
    }

    @AfterEach
    void cleanUp() {
        for (Object k : Resp.array(Resp.array(raw.call(List.of("SCAN", "0", "MATCH", "*" + id + "*", "COUNT", "100000")))
                .get(1))) {
            raw.call(List.of("DEL", k));
        }
        raw.call(List.of("HDEL", "_kombu4j.exchange.types", id + ".ex"));
        raw.call(List.of("SREM", "_kombu4j.queues", id + ".x" + SEP + id + ".b", id + ".b"));
        raw.close();
    }

    private long llen(String key) {
        return Resp.integer(raw.call(List.of("LLEN", key)));
    }

    @Test
    void aQueueNameWithTheSeparatorRoutesTheSameInTheClientAndInTheScript() {
        String exchange = id + ".ex";
        // Split at every separator and taking the last part, this member's queue would be "<id>.b".
        String queue = id + ".x" + SEP + id + ".b";
        String tail = id + ".b";
        try (Connection c = Connection.open("redis://127.0.0.1:6379/" + DB)) {
            RedisTransport t = (RedisTransport) c.transport();
            TransportChannel ch = c.channel();
            Exchange ex = Exchange.of(exchange, ExchangeType.DIRECT);
            Queue q = Queue.of(queue, ex, "k");
            ch.declareExchange(ex, false);
            ch.declareQueue(q, false);
            ch.bind(queue, q.bindings().get(0));
            assertThat(Resp.array(raw.call(List.of("SMEMBERS", "_kombu.binding." + exchange)))).extracting(Resp::text)
                    .containsExactly("k" + SEP + SEP + queue);

            // Routed in the client, on the tables CLIENT TRACKING keeps valid.
            assertThat(t.routes().enabled()).isTrue();
            ch.publish(new OutgoingMessage(exchange, "k", new RawMessage("x".getBytes(StandardCharsets.UTF_8), "text/plain",
                    "utf-8", Map.of(), Map.of()), true));
            assertThat(llen(queue)).isEqualTo(1);
            assertThat(llen(tail)).isZero();

            // Routed by the publish script in Redis.
            Object n = Script.PUBLISH.call(raw, List.of("_kombu.binding." + exchange, "_kombu4j.exchange.types"),
                    List.of("", exchange, "k", SEP, "", "{}", "/" + DB + "." + exchange, "1"));
            assertThat(n).isEqualTo(1L);
            assertThat(llen(queue)).isEqualTo(2);
            assertThat(llen(tail)).isZero();

            // Listed and deleted under its own name.
            assertThat(ch.listQueues()).extracting(QueueInfo::name).contains(queue).doesNotContain(tail);
            ch.deleteQueue(queue);
            assertThat(llen(queue)).isZero();
            assertThat(Resp.array(raw.call(List.of("SMEMBERS", "_kombu.binding." + exchange)))).isEmpty();
        }
    }

    @Test
    void aRoutingKeyWithTheSeparatorIsRefusedAtBind() {
        String exchange = id + ".ex";
        try (Connection c = Connection.open("redis://127.0.0.1:6379/" + DB)) {
            TransportChannel ch = c.channel();
            Exchange ex = Exchange.of(exchange, ExchangeType.DIRECT);
            ch.declareExchange(ex, false);
            // Its row would split as routing key "a", pattern "b", queue "<SEP><id>.q".
            assertThatThrownBy(() -> ch.bind(id + ".q", Binding.of(ex, "a" + SEP + "b")))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("separator");
            assertThat(raw.call(List.of("EXISTS", "_kombu.binding." + exchange))).isEqualTo(0L);
        }
    }
}
