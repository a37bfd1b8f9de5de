package org.kombu4j.redis.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Locale;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * TLS between a {@link RedisConnection} and its non-blocking socket, with an {@link SSLEngine}:
 * plaintext is wrapped on write and unwrapped on read, so the RESP parser sees exactly the bytes it
 * would see without TLS. The handshake runs through the same two paths — {@link #write} when the
 * socket is writable and {@link #read} when it is readable — as the engine asks (delegated tasks
 * run inline: they are short). Never blocks.
 *
 * <p>Threads: as for the connection, writes come from any thread under {@code writeLock} (the
 * connection's lock), reads from one thread at a time; a read that needs to send handshake bytes
 * takes {@code writeLock} for it. {@link #read} unwraps every complete record it has, so no
 * plaintext ever waits inside this layer while the socket is quiet (a selector would not wake for it).
 */
final class TlsLayer {
    private static final ByteBuffer[] NOTHING = new ByteBuffer[0];

    private final SSLEngine engine;
    private final SocketChannel socket;
    private final Object writeLock;
    /** Ciphertext read but not yet unwrapped; in write mode between calls. */
    private ByteBuffer netIn;
    /** Ciphertext wrapped but not yet written; in read mode (position..limit pending). */
    private ByteBuffer netOut;
    /** Plaintext produced by unwrap; in write mode. */
    private ByteBuffer appIn;
    private boolean inboundClosed;
    /** A read stopped with records left in {@link #netIn} because the engine had to send first and the socket was full. */
    private boolean stalled;

    TlsLayer(SSLEngine engine, SocketChannel socket, Object writeLock) {
        this.engine = engine;
        this.socket = socket;
        this.writeLock = writeLock;
        int packet = engine.getSession().getPacketBufferSize();
        this.netIn = ByteBuffer.allocate(Math.max(packet, 64 * 1024));
        this.netOut = ByteBuffer.allocate(packet);
        this.netOut.flip();
        this.appIn = ByteBuffer.allocate(Math.max(engine.getSession().getApplicationBufferSize(), 64 * 1024));
    }

    /**
     * Whether the last read left records unread because the engine first had to send and the
     * socket was full: read again once the output is flushed, without waiting for readability.
     */
    boolean takeStalled() {
        boolean s = stalled;
        stalled = false;
        return s;
    }

    void beginHandshake() throws SSLException {
        engine.beginHandshake();
    }

    /** Whether the handshake is still under way. */
    boolean handshaking() {
        HandshakeStatus hs = engine.getHandshakeStatus();
        return hs != HandshakeStatus.NOT_HANDSHAKING && hs != HandshakeStatus.FINISHED;
    }

    /** Whether the handshake waits for bytes from the server (and has nothing to send). */
    boolean handshakeWantsRead() {
        synchronized (writeLock) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            return !netOut.hasRemaining()
                    && (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN);
        }
    }

    /** Whether ciphertext waits for the socket. */
    boolean pendingOutput() {
        synchronized (writeLock) {
            return netOut.hasRemaining();
        }
    }

    /**
     * Wraps what it can of {@code srcs} (and any handshake message the engine wants to send) and
     * writes it without blocking. Call with {@code writeLock} held.
     *
     * @return true if everything is consumed and written; false if the socket is full (call again when writable)
     */
    boolean write(ByteBuffer[] srcs) throws IOException {
        while (true) {
            if (!flushNet()) {
                return false;
            }
            HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                runTasks();
                continue;
            }
            boolean data = false;
            for (ByteBuffer b : srcs) {
                data |= b.hasRemaining();
            }
            if (!data && hs != HandshakeStatus.NEED_WRAP) {
                return true;
            }
            if (engine.isOutboundDone()) {
                throw new SSLException("the TLS session is closed");
            }
            netOut.compact();
            SSLEngineResult r;
            try {
                r = engine.wrap(srcs, netOut);
            } finally {
                netOut.flip();
            }
            switch (r.getStatus()) {
                case OK:
                    if (r.bytesConsumed() == 0 && r.bytesProduced() == 0
                            && r.getHandshakeStatus() != HandshakeStatus.NEED_TASK
                            && r.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
                        return false; // the engine waits for the server (handshake) before taking data
                    }
                    break;
                case BUFFER_OVERFLOW:
                    netOut = grow(netOut, engine.getSession().getPacketBufferSize(), true);
                    break;
                case CLOSED:
                    flushNet();
                    throw new SSLException("the TLS session is closed");
                default:
                    throw new SSLException("unexpected TLS wrap status " + r.getStatus());
            }
        }
    }

    private boolean flushNet() throws IOException {
        while (netOut.hasRemaining()) {
            if (socket.write(netOut) == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads what the socket has, unwraps every complete record and hands the plaintext to
     * {@code sink} (a buffer in read mode, to be consumed before returning).
     *
     * @return false if the server ended the stream (close_notify or end of file)
     */
    boolean read(Consumer<ByteBuffer> sink) throws IOException {
        stalled = false;
        int n = socket.read(netIn);
        netIn.flip();
        try {
            while (true) {
                SSLEngineResult r = engine.unwrap(netIn, appIn);
                HandshakeStatus hs = r.getHandshakeStatus();
                if (hs == HandshakeStatus.NEED_TASK) {
                    runTasks();
                    hs = engine.getHandshakeStatus();
                }
                boolean sent = true;
                if (hs == HandshakeStatus.NEED_WRAP) {
                    synchronized (writeLock) {
                        sent = write(NOTHING); // what is not written now goes when the socket is writable
                    }
                }
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    if (appIn.position() > 0) {
                        drain(sink);
                    } else {
                        appIn = grow(appIn, engine.getSession().getApplicationBufferSize(), false);
                    }
                    continue;
                }
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                    int need = engine.getSession().getPacketBufferSize();
                    if (netIn.capacity() < need) {
                        netIn.compact();
                        netIn = grow(netIn, need, false);
                        netIn.flip();
                    }
                    break;
                }
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    inboundClosed = true;
                    break;
                }
                HandshakeStatus was = r.getHandshakeStatus();
                if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                    if (!netIn.hasRemaining() || (was != HandshakeStatus.NEED_TASK && was != HandshakeStatus.NEED_WRAP)) {
                        break;
                    }
                    if (!sent) {
                        stalled = true; // the engine must send before it reads on; see takeStalled
                        break;
                    }
                }
            }
        } finally {
            netIn.compact();
        }
        drain(sink);
        return n >= 0 && !inboundClosed;
    }

    private void drain(Consumer<ByteBuffer> sink) {
        if (appIn.position() > 0) {
            appIn.flip();
            sink.accept(appIn);
            appIn.clear();
        }
    }

    private void runTasks() {
        for (Runnable t; (t = engine.getDelegatedTask()) != null;) {
            t.run();
        }
    }

    /** A larger copy of {@code b} with room for {@code room} more bytes, in the same mode. */
    private static ByteBuffer grow(ByteBuffer b, int room, boolean readMode) {
        ByteBuffer bigger;
        if (readMode) {
            bigger = ByteBuffer.allocate(b.remaining() + room);
            bigger.put(b);
            bigger.flip();
        } else {
            b.flip();
            bigger = ByteBuffer.allocate(b.remaining() + room);
            bigger.put(b);
        }
        return bigger;
    }

    /** Sends close_notify, best effort, without blocking. */
    void closeQuietly() {
        synchronized (writeLock) {
            try {
                engine.closeOutbound();
                netOut.compact();
                try {
                    engine.wrap(NOTHING, netOut);
                } finally {
                    netOut.flip();
                }
                flushNet();
            } catch (IOException | RuntimeException ignored) {
                // Closing anyway.
            }
        }
    }

    /**
     * Whether a TLS failure is about certificates (an untrusted or mismatched server certificate,
     * or the server refusing ours): a configuration problem rather than a passing I/O one.
     */
    static boolean certificateProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateException || t instanceof CertPathValidatorException
                    || t instanceof CertPathBuilderException) {
                return true;
            }
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("bad_certificate") || m.contains("certificate_required") || m.contains("unknown_ca")
                    || m.contains("certificate_unknown") || m.contains("unsupported_certificate")
                    || m.contains("certificate_expired") || m.contains("certificate_revoked")
                    || m.contains("no subject alternative")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
