package org.kombu4j.redis.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
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
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;

/**
 * How a {@code rediss://} connection does TLS, from the URL options under redis-py's names.
 *
 * @param certReqs whether the server certificate is verified ({@code ssl_cert_reqs})
 * @param caCerts PEM file of trusted CA certificates ({@code ssl_ca_certs}); null: the JVM's trust store
 * @param certFile PEM client certificate (chain) ({@code ssl_certfile}); null: no client certificate
 * @param keyFile PEM unencrypted PKCS#8 private key of the client certificate ({@code ssl_keyfile});
 *     null: looked for in {@code certFile}
 * @param checkHostname whether the server certificate must name the host of the URL ({@code ssl_check_hostname})
 */
public record TlsSettings(CertReqs certReqs, @Nullable Path caCerts, @Nullable Path certFile, @Nullable Path keyFile,
        boolean checkHostname) {

    /** The option names this class reads. */
    public static final List<String> OPTION_NAMES = List.of("ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile",
            "ssl_keyfile", "ssl_check_hostname");

    /** {@code ssl_cert_reqs}: Python's {@code ssl.CERT_*}. */
    public enum CertReqs {
        /** The server certificate must chain to a trusted CA (the default). */
        REQUIRED,
        /** As in Python's client mode, the same as REQUIRED, but the hostname is not checked by default. */
        OPTIONAL,
        /** Any server certificate is accepted: encryption without authentication of the server. */
        NONE
    }

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    public TlsSettings {
        Objects.requireNonNull(certReqs, "certReqs");
        if (checkHostname && certReqs == CertReqs.NONE) {
            throw new ConfigurationException("Redis option ssl_check_hostname=true needs ssl_cert_reqs required or optional, not none");
        }
        if (keyFile != null && certFile == null) {
            throw new ConfigurationException("Redis option ssl_keyfile needs ssl_certfile");
        }
    }

    /**
     * Reads the TLS options; null for a plain connection.
     *
     * @param tls whether the URL asks for TLS ({@code rediss://})
     * @throws ConfigurationException on a bad value, or TLS options without TLS
     */
    public static @Nullable TlsSettings from(Map<String, String> options, boolean tls, String maskedUrl) {
        if (!tls) {
            for (String k : OPTION_NAMES) {
                if (options.containsKey(k)) {
                    throw new ConfigurationException("Redis option " + k + " needs a rediss:// URL (TLS), got " + maskedUrl);
                }
            }
            return null;
        }
        String reqs = options.getOrDefault("ssl_cert_reqs", "");
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
                throw new ConfigurationException("Redis option ssl_cert_reqs='" + reqs
                        + "' must be required, optional or none (or CERT_REQUIRED, CERT_OPTIONAL, CERT_NONE) in " + maskedUrl);
        }
        String ch = options.get("ssl_check_hostname");
        boolean check;
        if (ch == null || ch.isEmpty() || ch.equalsIgnoreCase("none")) {
            check = r == CertReqs.REQUIRED;
        } else {
            switch (ch.toLowerCase(Locale.ROOT)) {
                case "true": case "1": case "yes": case "on":
                    check = true;
                    break;
                case "false": case "0": case "no": case "off":
                    check = false;
                    break;
                default:
                    throw new ConfigurationException("Redis option ssl_check_hostname='" + ch + "' is not true or false in " + maskedUrl);
            }
        }
        return new TlsSettings(r, path(options, "ssl_ca_certs"), path(options, "ssl_certfile"),
                path(options, "ssl_keyfile"), check);
    }

    private static @Nullable Path path(Map<String, String> o, String name) {
        String v = o.get(name);
        return v == null || v.isEmpty() || v.equalsIgnoreCase("none") ? null : Path.of(v);
    }

    // ---------------------------------------------------------------- SSLContext

    /**
     * Builds the SSL context: trust from {@code caCerts} (or the JVM's), or none with
     * {@code CERT_NONE}; the client certificate and key if given.
     *
     * @throws ConfigurationException if a file is missing or unreadable as PEM
     */
    public SSLContext context() {
        try {
            TrustManager[] trust;
            if (certReqs == CertReqs.NONE) {
                trust = new TrustManager[] {new AcceptAll()};
            } else {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                if (caCerts == null) {
                    tmf.init((KeyStore) null);
                } else {
                    KeyStore ks = KeyStore.getInstance("PKCS12");
                    ks.load(null, null);
                    List<X509Certificate> cas = certificates(caCerts, "ssl_ca_certs");
                    for (int i = 0; i < cas.size(); i++) {
                        ks.setCertificateEntry("ca" + i, cas.get(i));
                    }
                    tmf.init(ks);
                }
                trust = tmf.getTrustManagers();
            }
            KeyManager[] keys = null;
            if (certFile != null) {
                List<X509Certificate> chain = certificates(certFile, "ssl_certfile");
                PrivateKey key = privateKey(keyFile != null ? keyFile : certFile, keyFile != null ? "ssl_keyfile" : "ssl_certfile");
                char[] pw = new char[0];
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("client", key, pw, chain.toArray(new Certificate[0]));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, pw);
                keys = kmf.getKeyManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, trust, null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigurationException("cannot set up TLS for Redis: " + e.getMessage(), e);
        }
    }

    /** A client engine for {@code host:port}, with hostname verification if asked for. */
    public SSLEngine engine(SSLContext ctx, String host, int port) {
        SSLEngine engine = ctx.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        if (checkHostname) {
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        engine.setSSLParameters(p);
        return engine;
    }

    private static String read(Path file, String option) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigurationException("Redis option " + option + ": cannot read " + file + ": " + e, e);
        }
    }

    private static List<X509Certificate> certificates(Path file, String option) {
        String text = read(file, option);
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
            throw new ConfigurationException("Redis option " + option + ": " + file + " holds an unreadable certificate: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new ConfigurationException("Redis option " + option + ": " + file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    private static PrivateKey privateKey(Path file, String option) {
        String text = read(file, option);
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("PRIVATE KEY")) {
                byte[] der = decode(m.group(2));
                for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA")) {
                    try {
                        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                        // Try the next algorithm.
                    }
                }
                throw new ConfigurationException("Redis option " + option + ": the key in " + file
                        + " is of an unsupported algorithm (RSA, EC, Ed25519, Ed448, RSASSA-PSS and DSA are read)");
            }
            if (type.endsWith("PRIVATE KEY")) {
                throw new ConfigurationException("Redis option " + option + ": " + file + " holds a '" + type
                        + "'; kombu4j reads only unencrypted PKCS#8 keys (-----BEGIN PRIVATE KEY-----); convert it with "
                        + "'openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem'");
            }
        }
        throw new ConfigurationException("Redis option " + option + ": " + file
                + " holds no PKCS#8 private key (-----BEGIN PRIVATE KEY-----)");
    }

    private static byte[] decode(String base64) {
        return Base64.getMimeDecoder().decode(base64);
    }

    /** {@code ssl_cert_reqs=none}: every server certificate is accepted. */
    private static final class AcceptAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
            // Not a server.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
            // ssl_cert_reqs=none: accepted without verification.
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // Not a server.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // ssl_cert_reqs=none: accepted without verification.
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // Not a server.
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // ssl_cert_reqs=none: accepted without verification.
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
