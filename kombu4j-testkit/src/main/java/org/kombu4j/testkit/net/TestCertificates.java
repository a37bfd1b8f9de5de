package org.kombu4j.testkit.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.kombu4j.testkit.env.TestEnvironment;

/**
 * Test certificates made with {@code openssl} in a temporary directory: a CA ({@code ca}), a server
 * certificate for IP 127.0.0.1 and DNS localhost ({@code server}), a client certificate ({@code client},
 * and {@code client-combined.pem} holding certificate and key), a server certificate for another name
 * only ({@code wronghost}) and a second, untrusted CA ({@code otherca}). Files are {@code NAME.crt} and
 * {@code NAME.key}; keys are unencrypted PKCS#8 PEM ({@code openssl req -nodes} writes them so).
 * Without openssl the test is skipped, or fails with {@code CI=true}.
 */
public final class TestCertificates {
    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Makes the certificates (a few seconds: five RSA keys). */
    public static TestCertificates create() throws IOException, InterruptedException {
        TestEnvironment.requireExecutable("openssl");
        TestCertificates c = new TestCertificates(Files.createTempDirectory("k4j-tls"));
        c.dir.toFile().deleteOnExit();
        c.ca("ca");
        c.ca("otherca");
        c.leaf("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        c.leaf("client", "extendedKeyUsage=clientAuth\n");
        c.leaf("wronghost", "subjectAltName=DNS:example.invalid\nextendedKeyUsage=serverAuth\n");
        Files.writeString(c.file("client-combined.pem"), Files.readString(c.file("client.crt"))
                + Files.readString(c.file("client.key")));
        return c;
    }

    /** The file {@code name} in the certificates' directory (it need not exist). */
    public Path file(String name) {
        return dir.resolve(name);
    }

    /** The certificate {@code name} ({@code NAME.crt}). */
    public Certificate cert(String name) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file(name + ".crt"))) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** The private key {@code name} ({@code NAME.key}). */
    public PrivateKey key(String name) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file(name + ".key"), StandardCharsets.US_ASCII);
        String b64 = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    /** A server-side TLS context presenting certificate {@code name} and trusting client certificates of {@code ca}. */
    public SSLContext serverContext(String name) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "test".toCharArray();
        ks.setKeyEntry(name, key(name), pw, new Certificate[] {cert(name)});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", cert("ca"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private void ca(String name) throws IOException, InterruptedException {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".crt",
                "-days", "2", "-subj", "/CN=kombu4j test " + name, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private void leaf(String name, String ext) throws IOException, InterruptedException {
        Files.writeString(file(name + ".ext"), ext, StandardCharsets.US_ASCII);
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + name);
        run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext");
    }

    /** Runs {@code command} (e.g. another openssl conversion) in the certificates' directory; fails if it does. */
    public void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    /** Deletes the directory and every file in it. */
    public void delete() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
