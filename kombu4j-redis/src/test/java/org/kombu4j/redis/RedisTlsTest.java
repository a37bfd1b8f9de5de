package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.OperationalException;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.testkit.net.TestCertificates;
import org.kombu4j.transport.TlsOptions;
import org.kombu4j.transport.TransportMessage;

/** {@code rediss://} against private TLS redis-servers with certificates made by openssl. */
class RedisTlsTest {
    private static TestCertificates tls;
    private static PrivateRedis server;

    @BeforeAll
    static void start() throws Exception {
        tls = TestCertificates.create();
        server = PrivateRedis.tls(tls, "server", "optional");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (tls != null) {
            tls.delete();
        }
    }

    private static String url(PrivateRedis redis, String host, String options) {
        return "rediss://" + host + ":" + redis.port() + "/0" + (options.isEmpty() ? "" : "?" + options);
    }

    private static String ca() {
        return "ssl_ca_certs=" + tls.file("ca.crt");
    }

    private static void roundTrip(String url) {
        try (Connection c = Connection.open(url)) {
            Queue q = Queue.of("tls.q");
            c.producer().publish("over tls", PublishOptions.builder().routingKey(q.name()).declare(q).build());
            TransportMessage m = c.channel().get(q.name(), true);
            assertThat(m).isNotNull();
            assertThat(new String(m.content().body(), StandardCharsets.UTF_8)).isEqualTo("over tls");
        }
    }

    @Test
    void publishAndConsumeWithDrainEvents() {
        try (Connection c = Connection.open(url(server, "127.0.0.1", ca()));
                Connection producer = Connection.open(url(server, "127.0.0.1", ca()))) {
            Queue q = Queue.of("tls.drain");
            List<Object> got = new CopyOnWriteArrayList<>();
            c.consumer(q).onMessage((body, m) -> {
                got.add(body);
                m.ack();
            }).consume();
            for (int i = 0; i < 50; i++) {
                producer.producer().publish("m" + i, PublishOptions.builder().routingKey(q.name()).declare(q).build());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got.size() < 50 && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(200));
            }
            assertThat(got).hasSize(50).contains("m0", "m49");
        }
    }

    @Test
    void publishAndConsumeOnAHub() throws Exception {
        String big = "x".repeat(1 << 20); // many TLS records per message, partial reads and writes
        try (Hub hub = new Hub(); Connection c = Connection.open(url(server, "127.0.0.1", ca()));
                Connection producer = Connection.open(url(server, "127.0.0.1", ca()))) {
            Thread loop = new Thread(hub::runForever, "tls-hub");
            loop.start();
            c.registerWithEventLoop(hub);
            Queue q = Queue.of("tls.hub");
            CountDownLatch all = new CountDownLatch(21);
            List<Object> got = new CopyOnWriteArrayList<>();
            c.consumer(q).onMessage((body, m) -> {
                got.add(body);
                m.ack();
                all.countDown();
            }).consume();
            for (int i = 0; i < 20; i++) {
                producer.producer().publish("small" + i, PublishOptions.builder().routingKey(q.name()).declare(q).build());
            }
            producer.producer().publish(big, PublishOptions.builder().routingKey(q.name()).declare(q).build());
            assertThat(all.await(20, TimeUnit.SECONDS)).as("all delivered").isTrue();
            assertThat(got).contains(big, "small0", "small19");
            hub.stop();
            loop.join(2000);
        }
    }

    @Test
    void hostnameLocalhostIsInTheCertificate() {
        roundTrip(url(server, "localhost", ca() + "&ssl_cert_reqs=CERT_REQUIRED"));
    }

    @Test
    void untrustedServerCertificateIsAConfigurationError() {
        long t0 = System.nanoTime();
        // The JVM's trust store does not know the test CA.
        assertThatThrownBy(() -> Connection.open(url(server, ":hunter2@127.0.0.1", "")).connect())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("rediss://:***@127.0.0.1:" + server.port())
                .hasMessageContaining("certificate")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
        // Another CA than the one that signed it.
        assertThatThrownBy(() -> Connection.open(url(server, "127.0.0.1", "ssl_ca_certs=" + tls.file("otherca.crt"))).connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("failed on a certificate");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void certReqsNoneAcceptsAnUntrustedServer() {
        roundTrip(url(server, "127.0.0.1", "ssl_cert_reqs=none"));
        roundTrip(url(server, "127.0.0.1", "ssl_cert_reqs=CERT_NONE"));
    }

    @Test
    void hostnameIsChecked() throws Exception {
        try (PrivateRedis wrong = PrivateRedis.tls(tls, "wronghost", "optional")) {
            assertThatThrownBy(() -> Connection.open(url(wrong, "127.0.0.1", ca())).connect())
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("failed on a certificate");
            roundTrip(url(wrong, "127.0.0.1", ca() + "&ssl_check_hostname=false"));
            roundTrip(url(wrong, "127.0.0.1", ca() + "&ssl_cert_reqs=optional"));
            // optional still verifies the chain
            assertThatThrownBy(() -> Connection.open(url(wrong, "127.0.0.1", "ssl_cert_reqs=optional")).connect())
                    .isInstanceOf(ConfigurationException.class);
        }
    }

    @Test
    void clientCertificateForTlsAuthClientsYes() throws Exception {
        try (PrivateRedis strict = PrivateRedis.tls(tls, "server", "yes")) {
            assertThatThrownBy(() -> Connection.open(url(strict, "127.0.0.1", ca())).connect())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("rediss://127.0.0.1:" + strict.port()).hasMessageContaining("certificate_required");
            roundTrip(url(strict, "127.0.0.1", ca() + "&ssl_certfile=" + tls.file("client.crt")
                    + "&ssl_keyfile=" + tls.file("client.key")));
            // Certificate and key in one file, as redis-py allows when ssl_keyfile is left out.
            java.nio.file.Files.writeString(tls.file("client-combined.pem"), java.nio.file.Files.readString(tls.file("client.crt"))
                    + java.nio.file.Files.readString(tls.file("client.key")));
            roundTrip(url(strict, "127.0.0.1", ca() + "&ssl_certfile=" + tls.file("client-combined.pem")));
        }
    }

    @Test
    void serverLossIsAnOperationalErrorNotAHang() throws Exception {
        try (PrivateRedis doomed = PrivateRedis.tls(tls, "server", "optional");
                Connection c = Connection.open(url(doomed, "127.0.0.1", ca()))) {
            c.consumer(Queue.of("tls.loss")).onMessage((body, m) -> m.ack()).consume();
            c.drainEvents(Duration.ofMillis(100));
            doomed.kill();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> {
                for (int i = 0; i < 50; i++) {
                    c.drainEvents(Duration.ofMillis(200));
                }
            }).isInstanceOf(OperationalException.class).hasMessageContaining("rediss://127.0.0.1:" + doomed.port());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void tlsAgainstAPlaintextPortFailsWithinTheConnectTimeout() throws Exception {
        try (PrivateRedis plain = new PrivateRedis()) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> Connection.open(url(plain, "127.0.0.1", ca() + "&socket_connect_timeout=2")).connect())
                    .isInstanceOf(OperationalException.class)
                    .hasMessageContaining("rediss://127.0.0.1:" + plain.port()).hasMessageContaining("TLS port");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void silentServerTimesOutTheHandshake() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
            long t0 = System.nanoTime();
            RedisEndpoint ep = new RedisEndpoint("127.0.0.1", silent.getLocalPort(), null, null, 0, Duration.ofSeconds(1),
                    Duration.ofSeconds(1), new TlsOptions(TlsOptions.CertReqs.NONE, null, null, null, false));
            assertThatThrownBy(() -> RedisConnection.open(ep, false, null))
                    .isInstanceOf(OperationalException.class).hasMessageContaining("TLS handshake");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void badOptionsAreRefused() throws Exception {
        assertThatThrownBy(() -> Connection.open("redis://127.0.0.1:6379/0?ssl_cert_reqs=none").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("rediss://");
        assertThatThrownBy(() -> Connection.open(url(server, "127.0.0.1", "ssl_cert_reqs=sometimes")).connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("ssl_cert_reqs");
        assertThatThrownBy(() -> Connection.open(url(server, "127.0.0.1", "ssl_cert_reqs=none&ssl_check_hostname=true")).connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("ssl_check_hostname");
        assertThatThrownBy(() -> Connection.open(url(server, "127.0.0.1", "ssl_ca_certs=/nonexistent/ca.pem")).connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("/nonexistent/ca.pem");
        tls.run("openssl", "rsa", "-in", "client.key", "-traditional", "-out", "client-pkcs1.key");
        assertThat(Arrays.asList(java.nio.file.Files.readString(tls.file("client-pkcs1.key")).split("\n")))
                .contains("-----BEGIN RSA PRIVATE KEY-----");
        assertThatThrownBy(() -> Connection.open(url(server, "127.0.0.1", ca() + "&ssl_certfile=" + tls.file("client.crt")
                + "&ssl_keyfile=" + tls.file("client-pkcs1.key"))).connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("PKCS#8");
    }
}
