package org.kombu4j.bench;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Counts the SQL statements PostgreSQL clients send, by standing between them and the server: a TCP proxy on
 * 127.0.0.1 that forwards both directions unchanged and reads the frontend stream. A statement is a {@code Query}
 * message (simple protocol; one per call, however many statements its text holds) or an {@code Execute} message
 * (extended protocol, as pgjdbc sends prepared statements); each is timestamped, with its SQL text. Used by the
 * {@code idle} scenario, whose target is "no query while idle beyond a keep-alive": the client is given
 * {@link #proxiedUrl} instead of the server's address, and the statements inside the idle window are counted.
 *
 * <p>The proxy answers an {@code SSLRequest}/{@code GSSENCRequest} with "N" itself (so the stream stays readable);
 * the bench's PostgreSQL on 127.0.0.1 has no TLS anyway.
 */
final class PgStatementCounter implements AutoCloseable {
    private static final int SSL_REQUEST = 80877103;
    private static final int GSSENC_REQUEST = 80877104;

    /** One statement sent: when (both clocks), on which proxied connection, its SQL text. */
    record Statement(long nanoTime, long epochMillis, int connection, char kind, String sql) {
    }

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final ConcurrentLinkedQueue<Statement> statements = new ConcurrentLinkedQueue<>();
    private final List<Socket> sockets = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger connections = new AtomicInteger();
    private volatile boolean closed;

    private PgStatementCounter(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "pg-statement-counter-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts a proxy in front of the PostgreSQL server {@code url} names. */
    static PgStatementCounter start(String url) throws IOException {
        SqlTarget t = SqlTarget.parse(url);
        if (!t.dialect().equals(SqlTarget.POSTGRESQL)) {
            throw new IllegalArgumentException("not a PostgreSQL URL: " + SqlTarget.mask(url));
        }
        return new PgStatementCounter(t.host(), t.port());
    }

    /** {@code url} pointing at the proxy instead of the server. */
    String proxiedUrl(String url) {
        return SqlTarget.withHostPort(url, "127.0.0.1", server.getLocalPort());
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections the proxy has accepted so far. */
    int connections() {
        return connections.get();
    }

    /** Every statement seen so far, in arrival order. */
    List<Statement> statements() {
        return new ArrayList<>(statements);
    }

    /** The statements whose {@link System#nanoTime()} lies in [from, to]. */
    List<Statement> betweenNanos(long from, long to) {
        List<Statement> out = new ArrayList<>();
        for (Statement s : statements) {
            if (s.nanoTime() - from >= 0 && to - s.nanoTime() >= 0) {
                out.add(s);
            }
        }
        return out;
    }

    /** The statements whose wall-clock time lies in [from, to] (epoch milliseconds). */
    List<Statement> betweenEpochMillis(long from, long to) {
        List<Statement> out = new ArrayList<>();
        for (Statement s : statements) {
            if (s.epochMillis() >= from && s.epochMillis() <= to) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Adds to {@code m} what was counted in a window of {@code seconds}: {@code db_statements},
     * {@code db_statements_per_10s}, the most frequent texts, and how they were counted.
     */
    void report(Measurement m, List<Statement> inWindow, double seconds) {
        report(m, inWindow, seconds, connections.get());
        // Everything the proxy saw (set-up, LISTEN, declarations): shows that each connection's stream was read.
        m.put("db_statements_whole_run", statements.size());
        List<String> listens = new ArrayList<>();
        for (Statement st : statements) {
            if (st.sql().trim().toUpperCase(java.util.Locale.ROOT).startsWith("LISTEN")) {
                listens.add(st.sql().trim());
            }
        }
        m.put("db_listen_statements", listens);
    }

    static void report(Measurement m, List<Statement> inWindow, double seconds, int proxiedConnections) {
        Map<String, Integer> byText = new HashMap<>();
        for (Statement s : inWindow) {
            String text = s.sql().replaceAll("\\s+", " ").trim();
            byText.merge(text.length() > 80 ? text.substring(0, 80) + "…" : text, 1, Integer::sum);
        }
        Map<String, Integer> top = new LinkedHashMap<>();
        byText.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(8)
                .forEach(e -> top.put(e.getKey(), e.getValue()));
        m.put("db_statements", inWindow.size());
        m.put("db_statements_per_10s", seconds > 0 ? inWindow.size() / seconds * 10 : null);
        m.put("db_statements_by_text", top);
        m.put("db_connections", proxiedConnections);
        m.put("db_statements_counted_by", "TCP proxy: PostgreSQL frontend Query and Execute messages in the window");
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                int id = connections.incrementAndGet();
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(targetHost, targetPort), 10_000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                Thread up = new Thread(() -> frontend(id, client, upstream), "pg-statement-counter-" + id + "-up");
                Thread down = new Thread(() -> pump(upstream, client), "pg-statement-counter-" + id + "-down");
                up.setDaemon(true);
                down.setDaemon(true);
                up.start();
                down.start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    /** Server to client: bytes as they come. */
    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Client to server: message by message, noting statements. */
    private void frontend(int id, Socket client, Socket upstream) {
        Map<String, String> prepared = new HashMap<>();
        Map<String, String> portals = new HashMap<>();
        try {
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream out = new java.io.BufferedOutputStream(upstream.getOutputStream(), 65536);
            OutputStream back = client.getOutputStream();
            boolean startup = true;
            while (true) {
                if (startup) {
                    int len = in.readInt();
                    byte[] body = new byte[len - 4];
                    in.readFully(body);
                    int code = ((body[0] & 0xff) << 24) | ((body[1] & 0xff) << 16) | ((body[2] & 0xff) << 8) | (body[3] & 0xff);
                    if (code == SSL_REQUEST || code == GSSENC_REQUEST) {
                        back.write('N');
                        back.flush();
                        continue;
                    }
                    writeInt(out, len);
                    out.write(body);
                    out.flush();
                    // A CancelRequest is the whole conversation; anything else starts the session.
                    startup = code == 80877102;
                    continue;
                }
                int type = in.read();
                if (type < 0) {
                    break;
                }
                int len = in.readInt();
                byte[] body = new byte[len - 4];
                in.readFully(body);
                switch (type) {
                    case 'Q':
                        note(id, 'Q', cstring(body, 0));
                        break;
                    case 'P': {
                        String name = cstring(body, 0);
                        String sql = cstring(body, name.getBytes(StandardCharsets.UTF_8).length + 1);
                        prepared.put(name, sql);
                        break;
                    }
                    case 'B': {
                        String portal = cstring(body, 0);
                        String stmt = cstring(body, portal.getBytes(StandardCharsets.UTF_8).length + 1);
                        portals.put(portal, prepared.getOrDefault(stmt, "?"));
                        break;
                    }
                    case 'E':
                        note(id, 'E', portals.getOrDefault(cstring(body, 0), "?"));
                        break;
                    default:
                        break;
                }
                out.write(type);
                writeInt(out, len);
                out.write(body);
                // Forward as soon as the client has nothing more queued: it may be waiting for an answer.
                if (in.available() == 0) {
                    out.flush();
                }
            }
        } catch (EOFException e) {
            // client closed
        } catch (IOException e) {
            // a side closed
        } finally {
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private void note(int id, char kind, String sql) {
        statements.add(new Statement(System.nanoTime(), System.currentTimeMillis(), id, kind, sql));
    }

    private static String cstring(byte[] b, int from) {
        int end = from;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, from, Math.max(0, end - from), StandardCharsets.UTF_8);
    }

    private static void writeInt(OutputStream out, int v) throws IOException {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void closeQuietly(@Nullable Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // nothing left to do
        }
        synchronized (sockets) {
            sockets.forEach(PgStatementCounter::closeQuietly);
        }
    }
}
