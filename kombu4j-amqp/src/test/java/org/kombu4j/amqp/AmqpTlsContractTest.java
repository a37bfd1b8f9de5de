package org.kombu4j.amqp;

import org.junit.jupiter.api.AfterAll;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.net.FaultProxy;
import org.kombu4j.testkit.net.FaultProxy.ClientAuth;
import org.kombu4j.testkit.net.TestCertificates;

/** The conformance suite over {@code amqps://}: RabbitMQ behind {@link FaultProxy}, verified by the test CA. */
class AmqpTlsContractTest extends AmqpTransportContractTest {
    private static TestCertificates certs;
    private static FaultProxy proxy;
    private static String url;

    @Override
    protected String url() {
        synchronized (AmqpTlsContractTest.class) {
            if (url == null) {
                String plain = LocalRabbit.url();
                String vhostPath = plain.substring(plain.indexOf(":" + LocalRabbit.PORT + "/")
                        + 1 + String.valueOf(LocalRabbit.PORT).length());
                try {
                    certs = TestCertificates.create();
                    proxy = FaultProxy.tls(LocalRabbit.HOST, LocalRabbit.PORT, certs.serverContext("server"), ClientAuth.NONE);
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("cannot start the TLS proxy", e);
                }
                url = "amqps://guest:guest@127.0.0.1:" + proxy.port() + vhostPath + "?ssl_ca_certs="
                        + certs.file("ca.crt");
            }
            return url;
        }
    }

    @AfterAll
    static void stopProxy() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (certs != null) {
            certs.delete();
        }
        proxy = null;
        certs = null;
        url = null;
    }
}
