package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.net.FaultProxy;
import org.kombu4j.testkit.net.FaultProxy.ClientAuth;
import org.kombu4j.testkit.net.TestCertificates;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.Transport;
import org.kombu4j.transport.TransportChannel;

/**
 * {@code amqps://} against the local RabbitMQ through {@link FaultProxy}, a TLS-terminating proxy (the
 * broker has no TLS listener): trust from {@code ssl_ca_certs}, an untrusted CA, {@code ssl_cert_reqs=none},
 * host name checks, client certificates, and that failures are quick and say what is wrong.
 */
class AmqpTlsTest {
    private static TestCertificates certs;
    private static FaultProxy proxy;
    private static FaultProxy wrongHost;
    private static FaultProxy clientAuth;
    private static String vhostPath;

    @BeforeAll
    static void start() throws Exception {
        String plain = LocalRabbit.url();
        vhostPath = plain.substring(plain.indexOf(":" + LocalRabbit.PORT + "/") + 1 + String.valueOf(LocalRabbit.PORT).length());
        certs = TestCertificates.create();
        proxy = FaultProxy.tls(LocalRabbit.HOST, LocalRabbit.PORT, certs.serverContext("server"), ClientAuth.NONE);
        wrongHost = FaultProxy.tls(LocalRabbit.HOST, LocalRabbit.PORT, certs.serverContext("wronghost"), ClientAuth.NONE);
        clientAuth = FaultProxy.tls(LocalRabbit.HOST, LocalRabbit.PORT, certs.serverContext("server"), ClientAuth.REQUIRED);
    }

    @AfterAll
    static void stop() throws Exception {
        for (FaultProxy p : new FaultProxy[] {proxy, wrongHost, clientAuth}) {
            if (p != null) {
                p.close();
            }
        }
        if (certs != null) {
            certs.delete();
        }
    }

    private static String url(FaultProxy p, String host, String query) {
        return "amqps://guest:guest@" + host + ":" + p.port() + vhostPath + "?connect_timeout=5&" + query;
    }

    private static String ca(String name) {
        return certs.file(name + ".crt").toString();
    }

    private static Transport transport(String url) {
        return new AmqpTransportFactory().create(BrokerUrl.parse(url));
    }

    /** Connects and opens a channel, then closes: the TLS session works end to end. */
    private static void connects(String url) {
        try (Transport t = transport(url)) {
            t.connect();
            assertThat(t.isConnected()).isTrue();
            TransportChannel ch = t.createChannel();
            assertThat(ch.isOpen()).isTrue();
        }
    }

    /** Connecting fails with a ConfigurationException, quickly, naming the URL but not its password. */
    private static void refused(String url, String... fragments) {
        long start = System.nanoTime();
        try (Transport t = transport(url)) {
            assertThatThrownBy(t::connect).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("amqps://guest:***@")
                    .hasMessageNotContaining("guest:guest")
                    .hasMessageContaining("TLS")
                    .satisfies(e -> {
                        for (String f : fragments) {
                            assertThat(e.getMessage()).containsIgnoringCase(f);
                        }
                    });
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void publishAndConsumeOverTls() {
        String q = "k4jtls." + UUID.randomUUID().toString().substring(0, 8);
        try (Transport t = transport(url(proxy, "127.0.0.1", "ssl_ca_certs=" + ca("ca")))) {
            TransportChannel ch = t.createChannel();
            ch.declareQueue(Queue.of(q), false);
            try {
                List<String> got = new CopyOnWriteArrayList<>();
                ch.consume(q, null, false, m -> {
                    got.add(new String(m.content().body(), StandardCharsets.UTF_8));
                    ch.ack(m.deliveryTag());
                });
                RawMessage raw = new RawMessage("over tls".getBytes(StandardCharsets.UTF_8), "text/plain", "utf-8",
                        Map.of(), Map.of("delivery_mode", 2, "priority", 0));
                ch.publish(new OutgoingMessage("", q, raw, false));
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (got.isEmpty() && System.nanoTime() < deadline) {
                    t.drainEvents(Duration.ofMillis(100));
                }
                assertThat(got).containsExactly("over tls");
            } finally {
                ch.deleteQueue(q);
            }
        }
    }

    @Test
    void localhostMatchesTheDnsName() {
        connects(url(proxy, "localhost", "ssl_ca_certs=" + ca("ca")));
    }

    @Test
    void untrustedCaIsAConfigurationError() {
        refused(url(proxy, "127.0.0.1", "ssl_ca_certs=" + ca("otherca")), "ssl_ca_certs");
    }

    @Test
    void jvmTrustStoreDoesNotTrustTheTestCa() {
        refused(url(proxy, "127.0.0.1", ""));
    }

    @Test
    void certReqsNoneAcceptsAnyCertificate() {
        connects(url(proxy, "127.0.0.1", "ssl_cert_reqs=none"));
        connects(url(wrongHost, "127.0.0.1", "ssl_cert_reqs=CERT_NONE&ssl_ca_certs=" + ca("otherca")));
    }

    @Test
    void wrongHostNameIsRefusedUnlessNotChecked() {
        refused(url(wrongHost, "127.0.0.1", "ssl_ca_certs=" + ca("ca")), "ssl_check_hostname");
        refused(url(wrongHost, "localhost", "ssl_ca_certs=" + ca("ca") + "&ssl_cert_reqs=CERT_REQUIRED"));
        connects(url(wrongHost, "127.0.0.1", "ssl_ca_certs=" + ca("ca") + "&ssl_check_hostname=false"));
        // optional, as Python's client mode: the chain is verified, the name is not by default.
        connects(url(wrongHost, "127.0.0.1", "ssl_ca_certs=" + ca("ca") + "&ssl_cert_reqs=optional"));
        refused(url(wrongHost, "127.0.0.1", "ssl_ca_certs=" + ca("otherca") + "&ssl_check_hostname=false"));
    }

    @Test
    void clientCertificateWhenTheServerRequiresOne() {
        connects(url(clientAuth, "127.0.0.1", "ssl_ca_certs=" + ca("ca") + "&ssl_certfile=" + ca("client")
                + "&ssl_keyfile=" + certs.file("client.key")));
        connects(url(clientAuth, "127.0.0.1", "ssl_ca_certs=" + ca("ca") + "&ssl_certfile="
                + certs.file("client-combined.pem")));
        // TLS 1.3 refuses a missing client certificate after the client's side of the handshake is done;
        // if the client's first AMQP bytes meet the closed socket before it reads the alert, it sees a
        // broken pipe instead (documented on AmqpTransport). Either way the connect must fail, quickly,
        // with the password masked, and a certificate error must say what to check.
        String noCert = url(clientAuth, "127.0.0.1", "ssl_ca_certs=" + ca("ca"));
        long start = System.nanoTime();
        try (Transport t = transport(noCert)) {
            assertThatThrownBy(t::connect).isInstanceOfAny(ConfigurationException.class, OperationalException.class)
                    .hasMessageNotContaining("guest:guest")
                    .satisfies(e -> {
                        if (e instanceof ConfigurationException) {
                            assertThat(e.getMessage()).contains("TLS").containsIgnoringCase("ssl_certfile");
                        }
                    });
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void badFilesAreConfigurationErrorsBeforeConnecting() {
        assertThatThrownBy(() -> transport(url(proxy, "127.0.0.1", "ssl_ca_certs=" + certs.file("missing.pem"))))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("ssl_ca_certs")
                .hasMessageContaining("missing.pem").hasMessageNotContaining("guest:guest");
        assertThatThrownBy(() -> transport(url(proxy, "127.0.0.1", "ssl_ca_certs=" + certs.file("client.key"))))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("no PEM certificate");
        assertThatThrownBy(() -> transport(url(proxy, "127.0.0.1", "ssl_certfile=" + ca("client"))))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("PKCS#8");
    }

    @Test
    void nothingListeningIsOperational() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (Transport t = transport("amqps://guest:guest@127.0.0.1:" + port + "/?connect_timeout=2")) {
            assertThatThrownBy(t::connect).isInstanceOf(OperationalException.class)
                    .isNotInstanceOf(ConfigurationException.class).hasMessageNotContaining("guest:guest");
        }
    }

    @Test
    void aSilentPeerTimesOutWithinConnectTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (java.io.IOException e) {
                    // Closed.
                }
            }, "silent-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            long start = System.nanoTime();
            try (Transport t = transport("amqps://guest:guest@127.0.0.1:" + silent.getLocalPort()
                    + "/?connect_timeout=1&ssl_cert_reqs=none")) {
                assertThatThrownBy(t::connect).isInstanceOf(OperationalException.class)
                        .isNotInstanceOf(ConfigurationException.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void aPlainServerIsNotACertificateProblem() throws Exception {
        // The plain broker port speaks AMQP, not TLS: the handshake fails, but not over a certificate.
        String u = "amqps://guest:guest@127.0.0.1:" + LocalRabbit.PORT + vhostPath + "?connect_timeout=3&ssl_cert_reqs=none";
        long start = System.nanoTime();
        try (Transport t = transport(u)) {
            assertThatThrownBy(t::connect).isInstanceOf(OperationalException.class);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    }
}
