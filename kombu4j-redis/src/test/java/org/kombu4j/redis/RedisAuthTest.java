package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.transport.TransportMessage;

/** AUTH with a password and with an ACL user, on a private server (the shared one is never reconfigured). */
class RedisAuthTest {

    private static void roundTrip(String url) {
        try (Connection c = Connection.open(url)) {
            Queue q = Queue.of("auth.q");
            c.producer().publish("secret hello", PublishOptions.builder().routingKey(q.name()).declare(q).build());
            TransportMessage m = c.channel().get(q.name(), true);
            assertThat(m).isNotNull();
            assertThat(new String(m.content().body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("secret hello");
        }
    }

    @Test
    void passwordAndAclUserBothWork() throws Exception {
        try (PrivateRedis redis = new PrivateRedis("--requirepass", "s3cret")) {
            roundTrip("redis://:s3cret@127.0.0.1:" + redis.port() + "/2");
            try (RedisConnection admin = RedisConnection.open(new RedisEndpoint("127.0.0.1", redis.port(), null, "s3cret", 0,
                    Duration.ofSeconds(2), Duration.ofSeconds(5)), false, null)) {
                assertThat(admin.call(List.of("ACL", "SETUSER", "alice", "on", ">pw", "~*", "&*", "+@all"))).isEqualTo("OK");
            }
            roundTrip("redis://alice:pw@127.0.0.1:" + redis.port() + "/3");
            assertThatThrownBy(() -> Connection.open("redis://alice:nope@127.0.0.1:" + redis.port() + "/3").connect())
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("refused");
            assertThatThrownBy(() -> Connection.open("redis://127.0.0.1:" + redis.port() + "/3").connect())
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("NOAUTH");
        }
    }
}
