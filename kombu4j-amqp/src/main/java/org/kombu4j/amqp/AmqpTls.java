package org.kombu4j.amqp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;

/**
 * The TLS settings of an {@code amqps://} URL, under the option names of Kombu / redis-py (and of
 * kombu4j's Redis transport), and the JDK-only {@link SSLContext} they make.
 *
 * @param certReqs {@code ssl_cert_reqs}: whether the broker's certificate is verified
 * @param caCerts {@code ssl_ca_certs}: PEM file of trusted CA certificates; null: the JVM's default trust store
 * @param certFile {@code ssl_certfile}: PEM client certificate (chain); null: no client certificate
 * @param keyFile {@code ssl_keyfile}: unencrypted PKCS#8 PEM key of the client certificate; null: read from {@code certFile}
 * @param checkHostname {@code ssl_check_hostname}: whether the certificate must name the URL's host
 */
record AmqpTls(CertReqs certReqs, @Nullable Path caCerts, @Nullable Path certFile, @Nullable Path keyFile,
        boolean checkHostname) {

    /** The URL options read here. */
    static final List<String> OPTION_NAMES = List.of("ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile",
            "ssl_check_hostname");

    /** {@code ssl_cert_reqs}, as Python's {@code ssl.CERT_*}. */
    enum CertReqs {
        /** The broker's certificate must chain to a trusted CA; the host name is checked by default. */
        REQUIRED,
        /** As Python's client mode: verified like REQUIRED, but the host name is not checked by default. */
        OPTIONAL,
        /** INSECURE: any certificate is accepted: encrypted, but the broker is not authenticated. */
        NONE
    }

    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    AmqpTls {
        Objects.requireNonNull(certReqs, "certReqs");
    }

    /**
     * Reads the TLS options: null for a plain {@code amqp://} URL, which must not have any.
     *
     * @throws ConfigurationException on a bad value, or {@code ssl_*} options without TLS
     */
    static @Nullable AmqpTls from(Map<String, String> options, boolean tls, String maskedUrl) {
        if (!tls) {
            for (String k : OPTION_NAMES) {
                if (options.containsKey(k)) {
                    throw new ConfigurationException("option " + k + " needs an amqps:// URL (TLS), got " + maskedUrl);
                }
            }
            return null;
        }
        String reqs = options.getOrDefault("ssl_cert_reqs", "").trim();
        CertReqs r;
        switch (reqs.toLowerCase(Locale.ROOT)) {
            case "": case "required": case "cert_required":
                r = CertReqs.REQUIRED;
                break;
            case "optional": case "cert_optional":
                r = CertReqs.OPTIONAL;
                break;
            case "none": case "cert_none":
                r = CertReqs.NONE;
                break;
            default:
                throw new ConfigurationException("option ssl_cert_reqs='" + reqs + "' in " + maskedUrl
                        + " must be required, optional or none (or CERT_REQUIRED, CERT_OPTIONAL, CERT_NONE)");
        }
        String ch = options.getOrDefault("ssl_check_hostname", "").trim();
        boolean check;
        switch (ch.toLowerCase(Locale.ROOT)) {
            case "": case "none":
                check = r == CertReqs.REQUIRED;
                break;
            case "true": case "1": case "yes": case "on":
                check = true;
                break;
            case "false": case "0": case "no": case "off":
                check = false;
                break;
            default:
                throw new ConfigurationException("option ssl_check_hostname='" + ch + "' in " + maskedUrl
                        + " must be true or false");
        }
        if (check && r == CertReqs.NONE) {
            throw new ConfigurationException("option ssl_check_hostname=true needs ssl_cert_reqs required or optional,"
                    + " not none, in " + maskedUrl);
        }
        Path cert = path(options, "ssl_certfile");
        Path key = path(options, "ssl_keyfile");
        if (key != null && cert == null) {
            throw new ConfigurationException("option ssl_keyfile needs ssl_certfile in " + maskedUrl);
        }
        return new AmqpTls(r, path(options, "ssl_ca_certs"), cert, key, check);
    }

    private static @Nullable Path path(Map<String, String> o, String name) {
        String v = o.get(name);
        return v == null || v.isBlank() || v.equalsIgnoreCase("none") ? null : Path.of(v.trim());
    }

    /**
     * The SSL context: trust from {@code caCerts} (or the JVM's default), or none at all with
     * {@code ssl_cert_reqs=none}; the client certificate and key if given.
     *
     * @throws ConfigurationException if a file is missing or not readable as PEM
     */
    SSLContext context(String maskedUrl) {
        try {
            TrustManager[] trust;
            if (certReqs == CertReqs.NONE) {
                trust = new TrustManager[] {new TrustAnything()};
            } else {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                if (caCerts == null) {
                    tmf.init((KeyStore) null);
                } else {
                    KeyStore ks = KeyStore.getInstance("PKCS12");
                    ks.load(null, null);
                    int i = 0;
                    for (X509Certificate ca : certificates(caCerts, "ssl_ca_certs", maskedUrl)) {
                        ks.setCertificateEntry("ca" + i++, ca);
                    }
                    tmf.init(ks);
                }
                trust = tmf.getTrustManagers();
            }
            KeyManager[] keys = null;
            if (certFile != null) {
                List<X509Certificate> chain = certificates(certFile, "ssl_certfile", maskedUrl);
                PrivateKey key = keyFile != null ? privateKey(keyFile, "ssl_keyfile", maskedUrl)
                        : privateKey(certFile, "ssl_certfile", maskedUrl);
                char[] none = new char[0];
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, none);
                keys = kmf.getKeyManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, trust, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigurationException("cannot set up TLS for " + maskedUrl + ": " + e.getMessage(), e);
        }
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

    private static String read(Path file, String option, String maskedUrl) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigurationException("option " + option + " in " + maskedUrl + ": cannot read " + file + ": " + e, e);
        }
    }

    private static List<X509Certificate> certificates(Path file, String option, String maskedUrl) {
        String text = read(file, option, maskedUrl);
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Matcher m = PEM.matcher(text);
            while (m.find()) {
                if (m.group(1).equals("CERTIFICATE") || m.group(1).equals("TRUSTED CERTIFICATE")) {
                    out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(decode(m.group(2)))));
                }
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw new ConfigurationException("option " + option + " in " + maskedUrl + ": " + file
                    + " holds an unreadable certificate: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new ConfigurationException("option " + option + " in " + maskedUrl + ": " + file
                    + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    private static PrivateKey privateKey(Path file, String option, String maskedUrl) {
        Matcher m = PEM.matcher(read(file, option, maskedUrl));
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("PRIVATE KEY")) {
                byte[] der = decode(m.group(2));
                for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA")) {
                    try {
                        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (InvalidKeySpecException | NoSuchAlgorithmException e) {
                        // Not this algorithm: try the next.
                    }
                }
                throw new ConfigurationException("option " + option + " in " + maskedUrl + ": the key in " + file
                        + " is of an unsupported algorithm (RSA, EC, Ed25519, Ed448, RSASSA-PSS, DSA are read)");
            }
            if (type.endsWith("PRIVATE KEY")) {
                throw new ConfigurationException("option " + option + " in " + maskedUrl + ": " + file + " holds a '"
                        + type + "'; only unencrypted PKCS#8 keys (-----BEGIN PRIVATE KEY-----) are read; convert with"
                        + " 'openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem'");
            }
        }
        throw new ConfigurationException("option " + option + " in " + maskedUrl + ": " + file
                + " holds no PKCS#8 private key (-----BEGIN PRIVATE KEY-----)");
    }

    private static byte[] decode(String base64) {
        return Base64.getMimeDecoder().decode(base64);
    }

    /** {@code ssl_cert_reqs=none}, INSECURE: every server certificate chain is accepted unverified. */
    private static final class TrustAnything extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            // Client side only.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            // Accepted unverified (ssl_cert_reqs=none).
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // Client side only.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // Accepted unverified (ssl_cert_reqs=none).
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // Client side only.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // Accepted unverified (ssl_cert_reqs=none).
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
