package org.kombu4j.amqp;

import org.junit.jupiter.api.AfterAll;
import org.kombu4j.testkit.TransportContract;

/** The conformance suite over {@code amqps://}: RabbitMQ behind {@link TlsProxy}, verified by the test CA. */
class AmqpTlsContractTest extends TransportContract {
    private static TlsProxy.Certs certs;
    private static TlsProxy proxy;
    private static String url;

    @Override
    protected String url() {
        synchronized (AmqpTlsContractTest.class) {
            if (url == null) {
                String plain = RabbitBroker.url();
                String vhostPath = plain.substring(plain.indexOf(":" + RabbitBroker.PORT + "/")
                        + 1 + String.valueOf(RabbitBroker.PORT).length());
                try {
                    certs = TlsProxy.Certs.create();
                    proxy = new TlsProxy(certs, "server", false);
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
