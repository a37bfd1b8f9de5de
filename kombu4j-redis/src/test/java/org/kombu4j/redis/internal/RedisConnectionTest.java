package org.kombu4j.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.kombu4j.redis.TestRedis;

class RedisConnectionTest {
    private static RedisEndpoint ep(int db) {
        return new RedisEndpoint(TestRedis.HOST, TestRedis.PORT, null, null, db, Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    @Test
    void commandsAndPipelinesAgainstRealRedis() {
        TestRedis.require();
        try (RedisConnection c = RedisConnection.open(ep(15), false, "k4j-test")) {
            String key = "k4j.test.conn." + System.nanoTime();
            try {
                assertThat(c.call(List.of("SET", key, "v\r\n1"))).isEqualTo("OK");
                assertThat(Resp.text(c.call(List.of("GET", key)))).isEqualTo("v\r\n1");
                List<List<Object>> cmds = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    cmds.add(List.of("RPUSH", key + ".l", "x".repeat(i)));
                }
                List<Object> replies = c.pipeline(cmds);
                assertThat(replies.get(999)).isEqualTo(1000L);
                List<Object> all = Resp.array(c.call(List.of("LRANGE", key + ".l", "0", "-1")));
                assertThat(all).hasSize(1000);
                assertThat(Resp.text(all.get(999))).hasSize(999);
                assertThat(c.call(List.of("INCR", key))).isInstanceOf(RespError.class);
                assertThat(c.call(List.of("GET", key + ".none"))).isNull();
            } finally {
                c.call(List.of("DEL", key, key + ".l"));
            }
        }
    }

    @Test
    void resp3HandshakeSelectsTheDatabase() {
        TestRedis.require();
        try (RedisConnection c = RedisConnection.open(ep(14), true, null)) {
            String info = Resp.text(c.call(List.of("CLIENT", "INFO")));
            assertThat(info).contains("db=14").contains("resp=3");
        }
    }

    @Test
    void wrongPasswordIsAConfigurationError() {
        TestRedis.require();
        RedisEndpoint bad = new RedisEndpoint(TestRedis.HOST, TestRedis.PORT, "nobody", "wrong", 14, Duration.ofSeconds(2),
                Duration.ofSeconds(2));
        assertThatThrownBy(() -> RedisConnection.open(bad, false, null)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("AUTH");
    }

    @Test
    void refusedConnectionIsOperational() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RedisEndpoint none = new RedisEndpoint("127.0.0.1", port, null, null, 0, Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertThatThrownBy(() -> RedisConnection.open(none, false, null)).isInstanceOf(OperationalException.class);
    }

    @Test
    void silentServerTimesOutAndGarbageIsAProtocolError() throws Exception {
        try (ServerSocket server = new ServerSocket(0)) {
            Thread t = new Thread(() -> {
                try (Socket s1 = server.accept(); Socket s2 = server.accept()) {
                    InputStream in = s2.getInputStream();
                    in.read(new byte[100]);
                    OutputStream o = s2.getOutputStream();
                    o.write("?garbage\r\n".getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    Thread.sleep(1000);
                } catch (Exception ignored) {
                    // Test server.
                }
            });
            t.start();
            RedisEndpoint ep = new RedisEndpoint("127.0.0.1", server.getLocalPort(), null, null, 0, Duration.ofSeconds(1),
                    Duration.ofMillis(200));
            RedisConnection silent = RedisConnection.open(ep, false, null);
            assertThatThrownBy(() -> silent.call(List.of("PING"))).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("timed out");
            assertThat(silent.isOpen()).isFalse();
            RedisConnection garbage = RedisConnection.open(ep, false, null);
            assertThatThrownBy(() -> garbage.call(List.of("PING"))).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("protocol");
            assertThat(garbage.isOpen()).isFalse();
            t.join();
        }
    }
}
