package org.kombu4j.amqp;

import java.security.cert.CertificateException;
import java.util.Locale;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.jspecify.annotations.Nullable;

/**
 * Tells a certificate problem on an {@code amqps://} connect from plain I/O, and what to check; the TLS
 * settings themselves are core's {@link org.kombu4j.transport.TlsOptions}.
 */
final class AmqpTls {
    private AmqpTls() {
    }

    /**
     * The certificate or TLS handshake failure in {@code error}'s cause chain (untrusted or expired
     * certificate, wrong host name, client certificate refused or missing), or null if it is
     * something else, such as plain I/O.
     */
    static @Nullable Throwable certificateFailure(Throwable error) {
        for (Throwable io = error; io != null; io = io.getCause()) {
            if (io instanceof java.io.InterruptedIOException || io instanceof java.net.SocketException
                    || io instanceof java.io.EOFException) {
                // A timeout, reset or early close, even if during the handshake: I/O, worth retrying.
                return null;
            }
            if (io.getCause() == io) {
                break;
            }
        }
        Throwable t = error;
        for (int depth = 0; t != null && depth < 12; depth++) {
            if (t instanceof SSLHandshakeException || t instanceof SSLPeerUnverifiedException
                    || t instanceof CertificateException || t instanceof java.security.cert.CertPathValidatorException) {
                return t;
            }
            if (t instanceof javax.net.ssl.SSLException && t.getMessage() != null
                    && t.getMessage().toLowerCase(Locale.ROOT).contains("certificate")) {
                return t;
            }
            t = t.getCause();
        }
        return null;
    }

    /** What to check after {@code failure} (from {@link #certificateFailure}). */
    static String hint(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null && all.length() < 4000; t = t.getCause()) {
            all.append(' ').append(t.getMessage());
        }
        String m = all.toString().toLowerCase(Locale.ROOT);
        if (m.contains("subject alternative") || m.contains("no name matching") || m.contains("hostname")) {
            return "the broker's certificate does not name the host of the URL; connect by a name it holds,"
                    + " or turn the check off with ssl_check_hostname=false";
        }
        if (m.contains("received fatal alert")) {
            return "the broker refused the TLS session, likely the client certificate: check ssl_certfile and"
                    + " ssl_keyfile (a certificate the broker trusts)";
        }
        return "the broker's certificate is not trusted: give its CA with ssl_ca_certs (default: the JVM's trust"
                + " store), or ssl_cert_reqs=none (insecure)";
    }
}
