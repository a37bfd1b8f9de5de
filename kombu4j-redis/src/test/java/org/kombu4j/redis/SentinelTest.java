package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.testkit.brokers.PrivateSentinels;
import org.kombu4j.transport.TransportMessage;

/**
 * {@code sentinel://} URLs on a private group (a master, a replica, three sentinels with a password):
 * where messages go, the options, WAIT, and the bad input that must fail with one clear error.
 */
class SentinelTest {
    private static PrivateSentinels group;

    @BeforeAll
    static void start() throws Exception {
        group = new PrivateSentinels(1, List.of(), "s3ntinel");
    }

    @AfterAll
    static void stop() throws Exception {
        if (group != null) {
            group.close();
        }
    }

    private static RedisEndpoint endpoint(int port, String password) {
        return new RedisEndpoint("127.0.0.1", port, null, password, 0, Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    private static final String KWARGS = "&sentinel_kwargs=%7B%22password%22%3A%22s3ntinel%22%7D";

    private static String url(String more) {
        return group.url(KWARGS + more);
    }

    private static String body(TransportMessage m) {
        return new String(m.content().body(), StandardCharsets.UTF_8);
    }

    @Test
    void publishesLandOnTheMasterInTheDatabaseOfThePath() {
        String q = "sentinel.db." + UUID.randomUUID();
        try (Connection c = Connection.open(group.url("", "/5", "?master_name=" + PrivateSentinels.MASTER_NAME + KWARGS))) {
            c.producer().publish("hello", PublishOptions.builder().routingKey(q).declare(Queue.of(q)).build());
        }
        try (RedisConnection master = RedisConnection.open(new RedisEndpoint("127.0.0.1", group.redisPort(0), null, null, 5,
                Duration.ofSeconds(2), Duration.ofSeconds(5)), false, null)) {
            assertThat(master.call(List.of("LLEN", q))).isEqualTo(1L);
            master.call(List.of("DEL", q));
        }
    }

    @Test
    void optionsMayStandOnAnyUrlOfTheListAndTheSentinelPasswordIsMasked() {
        List<Integer> ports = group.sentinelPorts();
        String url = "sentinel://127.0.0.1:" + ports.get(0) + "?master_name=" + PrivateSentinels.MASTER_NAME
                + ";sentinel://127.0.0.1:" + ports.get(1) + "?" + KWARGS.substring(1);
        String q = "sentinel.opts." + UUID.randomUUID();
        try (Connection c = Connection.open(url)) {
            c.producer().publish("x", PublishOptions.builder().routingKey(q).declare(Queue.of(q)).build());
            TransportMessage m = c.channel().get(q, true);
            assertThat(body(m)).isEqualTo("x");
            assertThat(c.toString()).doesNotContain("s3ntinel");
            assertThat(c.transport().url().masked()).doesNotContain("s3ntinel");
            c.channel().deleteQueue(q);
        }
    }

    @Test
    void waitReplicasAcknowledgesOnceAReplicaHoldsThePublish() {
        String q = "sentinel.wait." + UUID.randomUUID();
        try (Connection c = Connection.open(url("&wait_replicas=1&wait_timeout=2"))) {
            c.producer().publish("safe", PublishOptions.builder().routingKey(q).declare(Queue.of(q)).build());
            assertThat(body(c.channel().get(q, true))).isEqualTo("safe");
        }
        // Two replicas cannot acknowledge in a group of one: the publish is reported, not called safe.
        try (Connection c = Connection.open(url("&wait_replicas=2&wait_timeout=0.2"))) {
            assertThatThrownBy(() -> c.producer().publish("unsafe", q))
                    .isInstanceOf(OperationalException.class).hasMessageContaining("reached 1 of 2 replica");
            c.channel().deleteQueue(q);
        }
    }

    @Test
    void waitReplicasRefusesPipelinesAndAnEndlessWait() {
        assertThatThrownBy(() -> Connection.open(url("&wait_replicas=1&publish_pipeline=8")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("publish_pipeline");
        assertThatThrownBy(() -> Connection.open(url("&wait_replicas=1&wait_timeout=0")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("wait_timeout");
    }

    @Test
    void aListWithoutMasterNameIsRefusedWhenOpened() {
        assertThatThrownBy(() -> Connection.open("sentinel://127.0.0.1:1;sentinel://127.0.0.1:2"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("needs the master_name option");
    }

    @Test
    void aMasterNameTheSentinelsDoNotKnowIsOneErrorNamingIt() {
        long t0 = System.nanoTime();
        try (Connection c = Connection.open(group.url("", "", "?master_name=nosuchmaster" + KWARGS))) {
            assertThatThrownBy(c::connect).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("knows no master named 'nosuchmaster'").hasMessageNotContaining("s3ntinel");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void sentinelsThatAreAllDownAreOneErrorAtOnce() throws Exception {
        int a = freePort();
        int b = freePort();
        long t0 = System.nanoTime();
        try (Connection c = Connection.open("sentinel://127.0.0.1:" + a + ";sentinel://127.0.0.1:" + b + "?master_name=m")) {
            assertThatThrownBy(c::connect).isInstanceOf(OperationalException.class)
                    .hasMessageContaining("no Redis Sentinel of 127.0.0.1:" + a + ", 127.0.0.1:" + b);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aWrongSentinelPasswordSaysWhereItGoes() {
        try (Connection c = Connection.open(group.url("&sentinel_kwargs=%7B%22password%22%3A%22wrong%22%7D"))) {
            assertThatThrownBy(c::connect).isInstanceOf(AccessRefusedException.class)
                    .hasMessageContaining("sentinel_kwargs").hasMessageNotContaining("wrong");
        }
        try (Connection c = Connection.open(group.url(""))) {
            assertThatThrownBy(c::connect).isInstanceOf(AccessRefusedException.class).hasMessageContaining("NOAUTH");
        }
    }

    @Test
    void badListsAndOptionsAreRefused() {
        assertThatThrownBy(() -> Connection.open("sentinel://h1:26379?master_name=m;redis://h2:6379"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("cannot be mixed");
        assertThatThrownBy(() -> Connection.open("sentinel://:a@h1:26379;sentinel://:b@h2:26379?master_name=m"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("two different passwords")
                .hasMessageNotContaining(":a@").hasMessageNotContaining(":b@");
        assertThatThrownBy(() -> Connection.open("sentinel://h1:26379?master_name=m&sentinel_kwargs=%7Bpassword"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("sentinel_kwargs")
                .hasMessageNotContaining("{password");
        assertThatThrownBy(() -> Connection.open("sentinel://h1:26379?master_name=m&sentinel_kwargs=%7B%22db%22%3A1%7D"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown key 'db'");
        assertThatThrownBy(() -> Connection.open("sentinel://h1:26379?master_name=m&nosuch=1"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown option 'nosuch'");
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
