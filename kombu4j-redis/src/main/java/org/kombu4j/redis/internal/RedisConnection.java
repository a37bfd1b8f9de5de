package org.kombu4j.redis.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.kombu4j.transport.TlsOptions;

/**
 * One connection to Redis over a non-blocking {@link SocketChannel}.
 *
 * <p>Hand-written on purpose rather than built on a client library: its socket must live in
 * <em>our</em> selector (the transport's private one for {@code drainEvents}, or the Hub's), so that
 * one thread waits on every connection of every transport at once, as Kombu's MultiChannelPoller
 * does. Library clients own their I/O threads and cannot be registered that way.
 *
 * <p>Two ways to use it. Asynchronously: {@link #send} queues a command and a callback (pipelining:
 * replies are matched to callbacks in order), the owner calls {@link #flush} when writable and
 * {@link #onReadable} when readable. Synchronously: {@link #call} and {@link #pipeline} send and wait
 * on a private selector of this connection with a timeout; use them only when no other thread
 * reads the connection. Writes may come from any thread (a lock orders bytes and callbacks alike);
 * reads belong to one thread at a time. RESP3 pushes go to the push handler.
 *
 * <p>With TLS ({@link RedisEndpoint#tls()}), a {@link TlsLayer} sits between the queued commands and
 * the socket: {@link #flush} encrypts, {@link #onReadable} decrypts, the parser sees plaintext. The
 * handshake runs in {@link #open} through those same paths, within the connect timeout; the socket
 * is handed to the owner's selector only afterwards. A certificate problem is a
 * {@link ConfigurationException}, any other TLS failure an {@link OperationalException}.
 */
public final class RedisConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisConnection.class);
    private static final Consumer<Object> IGNORE = r -> { };

    private final RedisEndpoint endpoint;
    private final SocketChannel socket;
    private final RespParser parser = new RespParser();
    private final ByteBuffer readBuf = ByteBuffer.allocate(64 * 1024);
    private final Object lock = new Object();
    private final OutboundQueue out = new OutboundQueue();
    private final ArrayDeque<Consumer<@Nullable Object>> pending = new ArrayDeque<>();
    private volatile Consumer<RespPush> pushHandler = p -> log.debug("ignored push {}", p.kind());
    private final SocketWaiter waiter;
    private volatile boolean closed;
    private volatile @Nullable OperationalException failure;
    private @Nullable TlsLayer tls;
    /** True until {@link #open} returns: a certificate refusal is then a configuration error. */
    private volatile boolean opening = true;

    private RedisConnection(RedisEndpoint endpoint, SocketChannel socket, Ticker ticker) {
        this.endpoint = endpoint;
        this.socket = socket;
        this.waiter = new SocketWaiter(socket, ticker);
    }

    /**
     * Connects within the endpoint's connect timeout, then authenticates, selects the database and,
     * with {@code resp3}, switches the protocol with {@code HELLO 3}.
     *
     * @throws OperationalException if the server is unreachable, times out or refuses the handshake
     * @throws ConfigurationException if the credentials or database are refused
     */
    public static RedisConnection open(RedisEndpoint ep, boolean resp3, @Nullable String clientName) {
        return open(ep, Ticker.system(), resp3, clientName);
    }

    /** {@link #open(RedisEndpoint, boolean, String)} with every timeout measured on {@code ticker}. */
    public static RedisConnection open(RedisEndpoint ep, Ticker ticker, boolean resp3, @Nullable String clientName) {
        SocketChannel sc = null;
        try {
            sc = SocketChannel.open();
            sc.configureBlocking(false);
            sc.setOption(StandardSocketOptions.TCP_NODELAY, true);
            sc.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            RedisConnection c = new RedisConnection(ep, sc, ticker);
            long deadline = c.waiter.deadline(ep.connectTimeout().toNanos());
            if (!sc.connect(new InetSocketAddress(ep.host(), ep.port()))) {
                c.waitFor(SelectionKey.OP_CONNECT, deadline, ep.connectTimeout(), "connect");
            }
            TlsOptions t = ep.tls();
            if (t != null) {
                c.startTls(t, deadline);
            }
            c.handshake(resp3, clientName);
            c.opening = false;
            return c;
        } catch (IOException e) {
            closeQuietly(sc);
            throw new OperationalException("cannot connect to " + ep + ": " + e.getMessage(), e);
        } catch (UnresolvedAddressException e) {
            // Unchecked and without a message: it would surface as a bare class name.
            closeQuietly(sc);
            throw new OperationalException("cannot connect to " + ep + ": unknown host '" + ep.host() + "'", e);
        } catch (RuntimeException e) {
            closeQuietly(sc);
            throw e;
        }
    }

    /** Runs the TLS handshake through the same write and read paths as commands, until the deadline. */
    private void startTls(TlsOptions settings, long deadline) {
        SSLContext ctx = settings.context(endpoint.toString()); // its errors name the endpoint already
        TlsLayer layer = new TlsLayer(settings.clientEngine(ctx, endpoint.host(), endpoint.port()), socket, lock);
        tls = layer;
        try {
            layer.beginHandshake();
            String what = "the TLS handshake (is " + endpoint.host() + ":" + endpoint.port() + " a TLS port?)";
            while (layer.handshaking() || layer.pendingOutput()) {
                if (waiter.expired(deadline)) {
                    throw broken("timed out waiting for " + what + " after " + endpoint.connectTimeout().toMillis() + " ms", null);
                }
                if (!flush()) {
                    waitFor(SelectionKey.OP_WRITE, deadline, endpoint.connectTimeout(), what);
                } else if (layer.takeStalled()) {
                    onReadable();
                } else if (layer.handshakeWantsRead()) {
                    waitFor(SelectionKey.OP_READ, deadline, endpoint.connectTimeout(), what);
                    onReadable();
                }
            }
        } catch (SSLException e) {
            throw tlsFailure(e);
        }
    }

    private RuntimeException tlsFailure(SSLException e) {
        if (opening && TlsLayer.certificateProblem(e)) {
            close();
            return new ConfigurationException("TLS to " + endpoint + " failed on a certificate: " + e.getMessage()
                    + " (check ssl_ca_certs, ssl_certfile/ssl_keyfile and ssl_check_hostname, or ssl_cert_reqs)", e);
        }
        return broken("TLS failure: " + e.getMessage()
                + (opening ? " (is " + endpoint.host() + ":" + endpoint.port() + " a TLS port?)" : ""), e);
    }

    private void handshake(boolean resp3, @Nullable String clientName) {
        List<List<Object>> cmds = Handshake.commands(endpoint, resp3, clientName);
        if (cmds.isEmpty()) {
            return;
        }
        RuntimeException refused = Handshake.refusal(endpoint, cmds, pipeline(cmds));
        if (refused != null) {
            close();
            throw refused;
        }
    }

    public RedisEndpoint endpoint() {
        return endpoint;
    }

    /** The socket, to register with a selector for readability. */
    public SocketChannel socket() {
        return socket;
    }

    public void onPush(Consumer<RespPush> handler) {
        this.pushHandler = Objects.requireNonNull(handler, "handler");
    }

    public boolean isOpen() {
        return !closed;
    }

    // ---------------------------------------------------------------- asynchronous use

    /** Queues a command whose reply goes to {@code callback} (a value, {@link RespError} or null). */
    public void send(List<?> command, Consumer<@Nullable Object> callback) {
        synchronized (lock) {
            checkUsable();
            append(command);
            pending.add(callback);
        }
    }

    /** Queues commands in one write, each with its callback. */
    public void sendAll(List<? extends List<?>> commands, List<Consumer<@Nullable Object>> callbacks) {
        synchronized (lock) {
            checkUsable();
            for (List<?> c : commands) {
                append(c);
            }
            pending.addAll(callbacks);
        }
    }

    /** Under {@link #lock}. */
    private void append(List<?> command) {
        out.append(command);
    }

    /**
     * Queues a command that has no ordinary reply: in RESP3, (P)SUBSCRIBE and (P)UNSUBSCRIBE are
     * confirmed by pushes, which reach the push handler.
     */
    public void sendWithoutReply(List<?> command) {
        synchronized (lock) {
            checkUsable();
            append(command);
        }
    }

    public void sendIgnoringReply(List<?> command) {
        send(command, IGNORE);
    }

    /** How many sends are queued and not yet written (see {@link #flush()}). */
    public int queuedWrites() {
        synchronized (lock) {
            return out.queued();
        }
    }

    /** How many replies are awaited. */
    public int pendingReplies() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /** Whether bytes wait to be written. */
    public boolean wantsWrite() {
        synchronized (lock) {
            return !out.isEmpty() || (tls != null && tls.pendingOutput());
        }
    }

    /**
     * Writes what the socket takes without blocking.
     *
     * @return true if everything queued is written
     */
    public boolean flush() {
        synchronized (lock) {
            checkUsable();
            try {
                TlsLayer t = tls;
                if (t != null) {
                    boolean done = t.write(out.sealedBuffers());
                    out.dropWritten();
                    return done;
                }
                return out.writeTo(socket);
            } catch (SSLException e) {
                throw tlsFailure(e);
            } catch (IOException e) {
                throw broken("write failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Reads what is available without blocking and dispatches complete replies and pushes.
     *
     * @return how many replies and pushes were dispatched
     * @throws OperationalException if the server closed the connection or broke the protocol
     */
    public int onReadable() {
        checkUsable();
        TlsLayer t = tls;
        if (t != null) {
            boolean open;
            try {
                open = t.read(parser::feed);
            } catch (SSLException e) {
                throw tlsFailure(e);
            } catch (IOException e) {
                throw broken("read failed: " + e.getMessage(), e);
            }
            int count = dispatchParsed();
            if (!open) {
                throw broken("connection closed by the server" + (t.handshaking() ? " during the TLS handshake (is "
                        + endpoint.host() + ":" + endpoint.port() + " a TLS port?)" : ""), null);
            }
            return count;
        }
        int n;
        try {
            n = socket.read(readBuf);
        } catch (IOException e) {
            throw broken("read failed: " + e.getMessage(), e);
        }
        if (n < 0) {
            throw broken("connection closed by the server", null);
        }
        readBuf.flip();
        parser.feed(readBuf);
        readBuf.clear();
        return dispatchParsed();
    }

    /**
     * Dispatches whatever has already arrived (replies and pushes) without waiting: one non-blocking
     * read. A caller about to act on state that pushes invalidate calls this first.
     *
     * @throws OperationalException if the server closed the connection or broke the protocol
     */
    public void poll() {
        onReadable();
    }

    private int dispatchParsed() {
        int count = 0;
        while (true) {
            Object reply;
            try {
                reply = parser.next();
            } catch (RespProtocolException e) {
                throw broken(e.getMessage(), e);
            }
            if (reply == RespParser.NEED_MORE) {
                return count;
            }
            count++;
            if (reply instanceof RespPush) {
                pushHandler.accept((RespPush) reply);
                continue;
            }
            Consumer<@Nullable Object> cb;
            synchronized (lock) {
                cb = pending.poll();
            }
            if (cb == null) {
                throw broken("unexpected reply " + Resp.describe(reply) + " with no command pending", null);
            }
            cb.accept(reply);
        }
    }

    // ---------------------------------------------------------------- synchronous use

    /**
     * Writes everything queued, then reads until at most {@code maxPending} replies are outstanding;
     * their callbacks run here. For a pipelining owner that reads only from its own thread.
     *
     * @throws OperationalException on timeout (the connection is then closed) or I/O failure
     */
    public void awaitPending(int maxPending) {
        SyncCalls.awaitPending(this, maxPending);
    }

    /**
     * Sends one command and waits for its reply.
     *
     * @return the reply; an error reply is returned as {@link RespError}, not thrown
     * @throws OperationalException on timeout (the connection is then closed: its replies would be out of step) or I/O failure
     */
    public @Nullable Object call(List<?> command) {
        return pipeline(List.of(command)).get(0);
    }

    /** Sends several commands in one write and waits for all their replies, in order. */
    public List<@Nullable Object> pipeline(List<? extends List<?>> commands) {
        return SyncCalls.pipeline(this, commands, false);
    }

    /**
     * {@link #pipeline}, reading the socket without blocking for a few tens of microseconds before waiting in the
     * selector: for a caller that only waits for these replies (a synchronous publish), where a thread put to
     * sleep for one loopback round trip costs about another round trip to wake. See {@code SyncCalls}.
     */
    public List<@Nullable Object> pipelineSpinning(List<? extends List<?>> commands) {
        return SyncCalls.pipeline(this, commands, true);
    }

    /** A deadline one command timeout from now, for {@link #waitFor}. */
    long commandDeadline() {
        return waiter.deadline(endpoint.commandTimeout().toNanos());
    }

    /**
     * Waits until the socket is ready for {@code op}.
     *
     * @throws OperationalException on timeout (the connection is then closed), I/O failure or close
     */
    void waitFor(int op, long deadline, Duration timeout, String what) {
        boolean ready;
        try {
            ready = waiter.await(op, deadline);
        } catch (IOException e) {
            throw broken(what + " failed: " + e.getMessage(), e);
        } catch (ClosedSelectorException | CancelledKeyException e) {
            // close() from another thread while this one waited.
            throw new OperationalException("connection to " + endpoint + " was closed while waiting for " + what, e);
        }
        if (!ready) {
            throw broken("timed out waiting for " + what + " after " + timeout.toMillis() + " ms", null);
        }
    }

    // ---------------------------------------------------------------- lifecycle

    private void checkUsable() {
        OperationalException f = failure;
        if (f != null) {
            throw new OperationalException("connection to " + endpoint + " is broken: " + f.getMessage(), f);
        }
        if (closed) {
            throw new OperationalException("connection to " + endpoint + " is closed");
        }
    }

    /**
     * Closes the connection as broken for {@code why} (a reply overdue): every pending reply's callback gets an
     * error naming it. From any thread.
     */
    public void abort(String why) {
        broken(why, null);
    }

    private OperationalException broken(String why, @Nullable Throwable cause) {
        OperationalException e = new OperationalException("Redis connection to " + endpoint + ": " + why, cause);
        if (failure == null) {
            failure = e;
        }
        close();
        return e;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        TlsLayer t = tls;
        if (t != null && failure == null) {
            t.closeQuietly(); // close_notify
        }
        closeQuietly(socket);
        waiter.close();
        List<Consumer<@Nullable Object>> orphans;
        synchronized (lock) {
            orphans = new ArrayList<>(pending);
            pending.clear();
            out.clear();
        }
        // Callers waiting on replies learn of the loss through an error value.
        OperationalException why = failure;
        RespError lost = new RespError("CONNECTION_LOST connection to " + endpoint + " closed"
                + (why != null ? " (" + why.getMessage() + ")" : ""));
        for (Consumer<@Nullable Object> cb : orphans) {
            try {
                cb.accept(lost);
            } catch (RuntimeException e) {
                log.debug("callback failed on connection loss", e);
            }
        }
    }

    private static void closeQuietly(@Nullable SocketChannel sc) {
        if (sc != null) {
            try {
                sc.close();
            } catch (IOException ignored) {
                // Nothing to do.
            }
        }
    }

    @Override
    public String toString() {
        return "RedisConnection(" + endpoint + (closed ? ", closed" : "") + ")";
    }
}
