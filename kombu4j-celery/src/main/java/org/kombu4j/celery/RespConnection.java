package org.kombu4j.celery;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;

/**
 * A minimal blocking RESP2 connection: just what a result backend needs (SETEX, GET, PUBLISH, SUBSCRIBE). It is
 * here, and not borrowed from kombu4j-redis, because that module's client is the transport's non-blocking
 * internals; depending on it would tie this module to one broker, while a backend on Redis is wanted with any
 * broker (RabbitMQ included). Replies are byte arrays, Longs, Strings (status) or Lists.
 */
final class RespConnection implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RespConnection(String host, int port, @Nullable String user, @Nullable String password, int db,
            int timeoutMillis) {
        try {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            in = new BufferedInputStream(socket.getInputStream());
            out = new BufferedOutputStream(socket.getOutputStream());
        } catch (IOException e) {
            throw new OperationalException("cannot connect to the Redis result backend at " + host + ":" + port
                    + ": " + e.getMessage(), e);
        }
        if (password != null) {
            if (user != null && !user.isEmpty()) {
                call("AUTH", user, password);
            } else {
                call("AUTH", password);
            }
        }
        if (db != 0) {
            call("SELECT", Integer.toString(db));
        }
    }

    /** Sends a command and reads its reply; a Redis error reply becomes an {@link OperationalException}. */
    synchronized @Nullable Object call(Object... args) {
        send(args);
        return read();
    }

    /** Sends a command without reading (pub/sub: replies arrive on the reading thread). */
    synchronized void send(Object... args) {
        try {
            out.write(('*' + Integer.toString(args.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (Object a : args) {
                byte[] b = a instanceof byte[] bytes ? bytes : String.valueOf(a).getBytes(StandardCharsets.UTF_8);
                out.write(('$' + Integer.toString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(b);
                out.write('\r');
                out.write('\n');
            }
            out.flush();
        } catch (IOException e) {
            throw new OperationalException("Redis result backend: " + e.getMessage(), e);
        }
    }

    /** Reads one reply. */
    @Nullable Object read() {
        try {
            Object r = readReply();
            if (r instanceof RedisError e) {
                throw new OperationalException("Redis result backend: " + e.message);
            }
            return r;
        } catch (IOException e) {
            throw new OperationalException("Redis result backend: " + e.getMessage(), e);
        }
    }

    private record RedisError(String message) {
    }

    private @Nullable Object readReply() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by the server");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new RedisError(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                byte[] b = in.readNBytes(n);
                if (b.length < n || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException("truncated bulk reply");
                }
                return b;
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                List<@Nullable Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(readReply());
                }
                return items;
            }
            default:
                throw new IOException("unexpected RESP type byte " + type);
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) != -1;) {
            if (c == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("malformed RESP line");
                }
                return sb.toString();
            }
            sb.append((char) c);
        }
        throw new EOFException("connection closed by the server");
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
    }
}
