package org.kombu4j.testkit.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TCP proxy on a random loopback port in front of a broker, for fault and TLS tests: each accepted
 * connection is pumped both ways to the target by two daemon threads. {@link #cutAll()} drops every
 * connection in flight (both sides, with a RST, like a network fault) while new ones are still
 * accepted. Made with {@link #tls}, it terminates TLS in front of a broker that has no TLS listener.
 */
public final class FaultProxy implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;
    private static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private FaultProxy(ServerSocket server, String targetHost, int targetPort) {
        this.server = server;
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        daemon("fault-proxy-accept", this::acceptLoop);
    }

    /** A plain TCP proxy to {@code targetHost:targetPort}. */
    public static FaultProxy plain(String targetHost, int targetPort) throws IOException {
        return new FaultProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), targetHost, targetPort);
    }

    /**
     * A TLS-terminating proxy to the plaintext {@code targetHost:targetPort}, presenting the server
     * certificate of {@code tls} (see {@link TestCertificates#serverContext}).
     */
    public static FaultProxy tls(String targetHost, int targetPort, SSLContext tls, ClientAuth clientAuth)
            throws IOException {
        SSLServerSocket s = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
        s.setNeedClientAuth(clientAuth == ClientAuth.REQUIRED);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return new FaultProxy(s, targetHost, targetPort);
    }

    /** Whether a TLS proxy asks clients for a certificate signed by the test CA. */
    public enum ClientAuth {
        /** Any client may connect. */
        NONE,
        /** Only a client presenting a trusted certificate may connect. */
        REQUIRED
    }

    /** The port clients connect to. */
    public int port() {
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
            open.add(client);
            daemon("fault-proxy-conn", () -> relay(client));
        }
    }

    private void relay(Socket client) {
        Socket upstream = new Socket();
        open.add(upstream);
        try {
            if (client instanceof SSLSocket ssl) {
                ssl.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
                ssl.startHandshake();
                ssl.setSoTimeout(0);
            }
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
            closeQuietly(upstream);
            return;
        }
        try {
            upstream.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MILLIS);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        daemon("fault-proxy-up", () -> pump(client, upstream));
        pump(upstream, client);
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[16384];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // A cut or a close: the other pump sees it too.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    /** Drops every connection now, with a RST rather than a polite FIN; new ones are still accepted. */
    public void cutAll() {
        for (Socket s : open) {
            try {
                s.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // Already closed.
            }
            closeQuietly(s);
        }
        open.clear();
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
        cutAll();
    }
}
