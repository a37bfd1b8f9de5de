package org.kombu4j.transport;

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
import java.util.Collections;
import java.util.LinkedHashMap;
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
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;

/**
 * The TLS settings of a broker URL under the option names of Kombu and redis-py, shared by every
 * transport ({@code rediss://}, {@code amqps://}), and the JDK-only {@link SSLContext} they make.
 *
 * @param certReqs {@code ssl_cert_reqs}: whether the server's certificate is verified
 * @param caCerts {@code ssl_ca_certs}: PEM file of trusted CA certificates; null: the JVM's trust store
 * @param certFile {@code ssl_certfile}: PEM client certificate (chain); null: no client certificate
 * @param keyFile {@code ssl_keyfile}: unencrypted PKCS#8 PEM key of the client certificate; null: read from {@code certFile}
 * @param checkHostname {@code ssl_check_hostname}: whether the certificate must name the URL's host
 */
public record TlsOptions(CertReqs certReqs, @Nullable Path caCerts, @Nullable Path certFile, @Nullable Path keyFile,
        boolean checkHostname) {

    /** The URL options read here. */
    public static final List<String> OPTION_NAMES = List.of("ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile",
            "ssl_keyfile", "ssl_check_hostname");

    /** {@code ssl_cert_reqs}, as Python's {@code ssl.CERT_*}. */
    public enum CertReqs {
        /** The server's certificate must chain to a trusted CA; the host name is checked by default. */
        REQUIRED,
        /** As Python's client mode: verified like REQUIRED, but the host name is not checked by default. */
        OPTIONAL,
        /** INSECURE: any certificate is accepted: encrypted, but the server is not authenticated. */
        NONE
    }

    /** The spellings of {@code ssl_cert_reqs}: ours and Python's {@code ssl.CERT_*} names. */
    private static final Map<String, CertReqs> CERT_REQS = certReqSpellings();

    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    public TlsOptions {
        Objects.requireNonNull(certReqs, "certReqs");
        if (checkHostname && certReqs == CertReqs.NONE) {
            throw new ConfigurationException("option ssl_check_hostname=true needs ssl_cert_reqs required or optional, not none");
        }
        if (keyFile != null && certFile == null) {
            throw new ConfigurationException("option ssl_keyfile needs ssl_certfile");
        }
    }

    /**
     * Reads the TLS options: null for a plain URL, which must not have any.
     *
     * @param tlsScheme the scheme that means TLS (e.g. {@code rediss}); other schemes are plain
     * @throws ConfigurationException on a bad value, or {@code ssl_*} options without TLS
     */
    public static @Nullable TlsOptions from(UrlOptions options, String tlsScheme) {
        String maskedUrl = options.url().masked();
        if (!options.url().scheme().equals(tlsScheme)) {
            for (String k : OPTION_NAMES) {
                if (options.url().options().containsKey(k)) {
                    throw new ConfigurationException("option " + k + " needs a " + tlsScheme + ":// URL (TLS), got " + maskedUrl);
                }
            }
            return null;
        }
        CertReqs r = options.choice("ssl_cert_reqs", CertReqs.REQUIRED, CERT_REQS);
        Boolean check = options.bool("ssl_check_hostname");
        try {
            return new TlsOptions(r, path(options, "ssl_ca_certs"), path(options, "ssl_certfile"),
                    path(options, "ssl_keyfile"), check == null ? r == CertReqs.REQUIRED : check);
        } catch (ConfigurationException e) {
            throw new ConfigurationException(e.getMessage() + ", in " + maskedUrl, e);
        }
    }

    /** The defaults of a TLS URL without {@code ssl_*} options: verified, with the host name checked. */
    public static TlsOptions defaults() {
        return new TlsOptions(CertReqs.REQUIRED, null, null, null, true);
    }

    private static @Nullable Path path(UrlOptions o, String name) {
        String v = o.string(name);
        return v == null || v.isBlank() || v.trim().equalsIgnoreCase("none") ? null : Path.of(v.trim());
    }

    /**
     * The SSL context: trust from {@code caCerts} (or the JVM's default), or none at all with
     * {@code ssl_cert_reqs=none}; the client certificate and key if given.
     *
     * @param maskedUrl the URL without its password, for messages
     * @throws ConfigurationException if a file is missing or not readable as PEM
     */
    public SSLContext context(String maskedUrl) {
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

    /** A client engine for {@code host:port}, checking the host name if {@link #checkHostname()}. */
    public SSLEngine clientEngine(SSLContext ctx, String host, int port) {
        SSLEngine engine = ctx.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        if (checkHostname) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        engine.setSSLParameters(p);
        return engine;
    }

    private static Map<String, CertReqs> certReqSpellings() {
        Map<String, CertReqs> m = new LinkedHashMap<>();
        for (CertReqs r : CertReqs.values()) {
            m.put(r.name().toLowerCase(Locale.ROOT), r);
        }
        for (CertReqs r : CertReqs.values()) {
            m.put("CERT_" + r.name(), r);
        }
        return Collections.unmodifiableMap(m);
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
