package org.kombu4j.redis;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.kombu4j.testkit.TransportContract;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.kombu4j.testkit.net.TestCertificates;

/** The conformance suite over {@code rediss://}, on a private TLS server. */
class RedisTlsContractTest extends TransportContract {
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

    @Override
    protected String url() {
        return "rediss://127.0.0.1:" + server.port() + "/0?ssl_ca_certs=" + tls.file("ca.crt");
    }
}
