package org.kombu4j.amqp;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A TLS-terminating proxy in front of the local RabbitMQ (which has no TLS listener): an
 * {@link SSLServerSocket} on a random loopback port presenting a test certificate; each accepted
 * connection is handshaken, then pumped both ways to a plain socket to 127.0.0.1:5672 by two daemon
 * threads. {@link Certs} makes the certificates with {@code openssl}.
 */
final class TlsProxy implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /**
     * @param certs the test certificates
     * @param serverCert the name of the certificate to present ("server", "wronghost")
     * @param needClientAuth whether a client certificate signed by the test CA is required
     */
    TlsProxy(Certs certs, String serverCert, boolean needClientAuth) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "proxy".toCharArray();
        ks.setKeyEntry("server", certs.key(serverCert), pw, new Certificate[] {certs.cert(serverCert)});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", certs.cert("ca"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        SSLServerSocket s = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket();
        s.setNeedClientAuth(needClientAuth);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server = s;
        daemon("tls-proxy-accept", this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(client);
            daemon("tls-proxy-conn", () -> relay((SSLSocket) client));
        }
    }

    private void relay(SSLSocket client) {
        Socket broker = new Socket();
        sockets.add(broker);
        try {
            client.setSoTimeout(10_000);
            client.startHandshake();
            client.setSoTimeout(0);
            broker.connect(new InetSocketAddress(RabbitBroker.HOST, RabbitBroker.PORT), 5000);
            daemon("tls-proxy-up", () -> pump(client, broker));
            pump(broker, client);
        } catch (IOException e) {
            // The handshake failed and the TLS alert is on its way. Closing at once, with the client's
            // first bytes unread, makes the kernel send a RST that can overtake the alert, and the client
            // then sees "Broken pipe" instead of the certificate failure; a real broker closes gracefully.
            try {
                Thread.sleep(1000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            closeQuietly(client);
            closeQuietly(broker);
        }
    }

    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[16384];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // Either side went away: close both.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        sockets.forEach(TlsProxy::closeQuietly);
    }

    /**
     * Test certificates made with {@code openssl} in a temporary directory: a CA ({@code ca}), a
     * server certificate for IP 127.0.0.1 and DNS localhost ({@code server}), a client certificate
     * ({@code client}, and {@code client-combined.pem} holding certificate and key), a server
     * certificate for another name only ({@code wronghost}) and an untrusted CA ({@code otherca}).
     * Keys are unencrypted PKCS#8 PEM. Without openssl the test is skipped, or fails if CI=true.
     */
    static final class Certs {
        final Path dir;

        private Certs(Path dir) {
            this.dir = dir;
        }

        static Certs create() throws IOException, InterruptedException {
            if (!new File("/usr/bin/openssl").canExecute() && !onPath("openssl")) {
                String why = "openssl is not installed";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    Assertions.fail(why + " (CI=true: the TLS tests must not be skipped)");
                }
                Assumptions.abort(why);
            }
            Certs c = new Certs(Files.createTempDirectory("k4j-amqp-tls"));
            c.ca("ca");
            c.ca("otherca");
            c.leaf("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
            c.leaf("client", "extendedKeyUsage=clientAuth\n");
            c.leaf("wronghost", "subjectAltName=DNS:example.invalid\nextendedKeyUsage=serverAuth\n");
            Files.writeString(c.file("client-combined.pem"), Files.readString(c.file("client.crt"))
                    + Files.readString(c.file("client.key")));
            return c;
        }

        private static boolean onPath(String exe) {
            String path = System.getenv("PATH");
            if (path == null) {
                return false;
            }
            for (String d : path.split(File.pathSeparator)) {
                if (new File(d, exe).canExecute()) {
                    return true;
                }
            }
            return false;
        }

        Path file(String name) {
            return dir.resolve(name);
        }

        Certificate cert(String name) throws Exception {
            try (InputStream in = Files.newInputStream(file(name + ".crt"))) {
                return CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
        }

        PrivateKey key(String name) throws Exception {
            String pem = Files.readString(file(name + ".key"), StandardCharsets.US_ASCII);
            String b64 = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
        }

        private void ca(String name) throws IOException, InterruptedException {
            run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
                    name + ".crt", "-days", "2", "-subj", "/CN=kombu4j amqp test " + name,
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        }

        private void leaf(String name, String ext) throws IOException, InterruptedException {
            Files.writeString(file(name + ".ext"), ext, StandardCharsets.US_ASCII);
            run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                    "-subj", "/CN=" + name);
            run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext");
        }

        private void run(String... cmd) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).directory(dir.toFile())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out);
            }
        }

        void delete() throws IOException {
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
