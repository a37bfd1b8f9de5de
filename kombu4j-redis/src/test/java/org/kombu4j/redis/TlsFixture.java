package org.kombu4j.redis;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Test certificates made with {@code openssl} in a temporary directory, and private TLS
 * redis-servers using them: a CA, a server certificate for IP 127.0.0.1 and DNS localhost, a client
 * certificate, a server certificate for another name, and a second, untrusted CA. Keys are PKCS#8
 * PEM ({@code openssl req -nodes} writes them so). Without openssl or a TLS-capable redis-server the
 * test is skipped, except with {@code CI=true}, where it fails.
 */
final class TlsFixture {
    final Path dir;

    private TlsFixture(Path dir) {
        this.dir = dir;
    }

    static TlsFixture create() throws IOException, InterruptedException {
        if (!new File("/usr/bin/openssl").canExecute()) {
            unavailable("openssl is not installed");
        }
        Path dir = Files.createTempDirectory("k4j-tls");
        dir.toFile().deleteOnExit();
        TlsFixture f = new TlsFixture(dir);
        f.ca("ca");
        f.ca("otherca");
        f.leaf("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        f.leaf("client", "ca", "extendedKeyUsage=clientAuth\n");
        f.leaf("wronghost", "ca", "subjectAltName=DNS:example.invalid\nextendedKeyUsage=serverAuth\n");
        return f;
    }

    static void unavailable(String why) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(why + " (CI=true: this test must not be skipped)");
        }
        Assumptions.abort(why);
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    /** A private TLS redis-server presenting {@code cert}; {@code authClients}: no, optional or yes. */
    PrivateRedis server(String cert, String authClients) throws IOException, InterruptedException {
        try {
            return new PrivateRedis(true, "--tls-cert-file", file(cert + ".crt").toString(),
                    "--tls-key-file", file(cert + ".key").toString(), "--tls-ca-cert-file", file("ca.crt").toString(),
                    "--tls-auth-clients", authClients);
        } catch (IOException e) {
            unavailable("redis-server did not start with TLS (built without TLS support?): " + e.getMessage());
            throw e;
        }
    }

    private void ca(String name) throws IOException, InterruptedException {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".crt",
                "-days", "2", "-subj", "/CN=kombu4j test " + name, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private void leaf(String name, String ca, String ext) throws IOException, InterruptedException {
        Files.writeString(dir.resolve(name + ".ext"), ext, StandardCharsets.US_ASCII);
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + name);
        run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
                "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext");
    }

    void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).directory(dir.toFile()).redirectErrorStream(true).start();
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
