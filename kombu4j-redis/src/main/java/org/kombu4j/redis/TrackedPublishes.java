package org.kombu4j.redis;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.kombu4j.OperationalException;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RespError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport's tracked publishes ({@link RedisPublisher#publishTracked}): written on the command connection
 * without waiting, each settled by its replies. A daemon thread ({@code kombu4j-redis-replies}, started by the
 * first tracked publish) waits for the command connection to become readable and reads it under the command
 * lock, as a synchronous caller would; whoever reads a reply (that thread, a synchronous call, a close that fails
 * every pending reply) only records the outcome, and that thread completes the futures outside the lock, so
 * dependent stages never run under it.
 *
 * <p>At most {@link #WINDOW} publishes are outstanding per transport: the next caller blocks until one settles,
 * for at most the {@code socket_timeout}, then gets an {@link OperationalException}. A connection with replies
 * outstanding and none arriving for the {@code socket_timeout} is closed, which fails its outstanding publishes.
 */
final class TrackedPublishes {
    private static final Logger log = LoggerFactory.getLogger(TrackedPublishes.class);

    /**
     * How many tracked publishes may await Redis's reply at once, per transport. 1,024 keeps a writer ahead of
     * the round trip (one reply every few microseconds once pipelined) while bounding the memory a stalled
     * server lets pile up (the envelopes are in the socket buffers and Redis's query buffer, not kept here).
     */
    static final int WINDOW = 1024;

    private final RedisTransport transport;
    private final Semaphore window = new Semaphore(WINDOW);
    private final AtomicInteger outstanding = new AtomicInteger();
    /** Publishes whose outcome is known, for the reader thread to complete. */
    private final ConcurrentLinkedQueue<Tracked> settled = new ConcurrentLinkedQueue<>();
    private volatile @Nullable Thread reader;
    private volatile @Nullable Selector selector;
    private volatile boolean closed;
    /**
     * Commands of tracked publishes queued on the command connection since its last write by this class; an
     * overestimate when another caller's write took them along. Only under the command lock.
     */
    private int unwritten;

    TrackedPublishes(RedisTransport transport) {
        this.transport = transport;
    }

    /**
     * Takes a place in the window, blocking while {@link #WINDOW} publishes are outstanding.
     *
     * @throws OperationalException if none frees within the socket timeout, or the thread is interrupted
     */
    void acquire() {
        if (closed) {
            throw new OperationalException("Redis transport to " + transport.url().masked() + " is closed");
        }
        if (window.tryAcquire()) {
            return;
        }
        long timeoutMs = transport.options().socketTimeout().toMillis();
        try {
            if (window.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while waiting for room among the " + WINDOW
                    + " tracked publishes awaiting Redis's reply", e);
        }
        throw new OperationalException(WINDOW + " tracked publishes have awaited Redis's reply for " + timeoutMs
                + " ms (socket_timeout): no room for another; is the server at " + transport.url().masked() + " stalled?");
    }

    /**
     * After {@code commands} commands were queued on {@code c} (under the command lock): writes them now, or leaves
     * them for the reader thread to write with the next batch of replies. While publishes already written await
     * their replies, the reader is about to wake and read; it writes whatever queued meanwhile in one system call,
     * so a busy sender costs one write per round trip rather than one per publish (as {@code redis-benchmark -P}).
     * With nothing written outstanding, or {@value #MAX_UNWRITTEN} commands queued, the caller writes at once.
     */
    void written(RedisConnection c, int commands) {
        unwritten += commands;
        // Not on a connection shared by several namespaces (Redis Cluster): each would count the others' queued
        // commands as written, and all could wait for replies to commands nobody wrote.
        if (unwritten < MAX_UNWRITTEN && transport.link() == null && c.pendingReplies() - unwritten > 0) {
            return;
        }
        writeQueued(c);
    }

    /** The most commands left queued for the reader to write; more are written by the caller. */
    static final int MAX_UNWRITTEN = 128;

    /** Writes everything queued on {@code c}, waiting while the socket buffer is full. Under the command lock. */
    private void writeQueued(RedisConnection c) {
        if (!c.flush()) {
            c.awaitPending(Integer.MAX_VALUE); // the socket buffer is full: wait until it is written
        }
        unwritten = 0;
    }

    /** Gives back a place taken by {@link #acquire} for a publish that was not sent after all. */
    void release() {
        window.release();
    }

    /**
     * A publish of {@code commands} replies to settle {@code future}; its callback goes with each of the commands,
     * in order. Call after {@link #acquire}; the place is given back when the publish settles.
     */
    Tracked track(int commands, String what, CompletableFuture<Void> future) {
        startReader();
        if (outstanding.incrementAndGet() == 1) {
            Selector s = selector;
            if (s != null) {
                s.wakeup(); // the reader idles without watching the socket: have it watch now
            }
        }
        return new Tracked(commands, what, future);
    }

    /**
     * One tracked publish: counts its replies, keeps the first error, and hands itself to the reader thread
     * when the last is in. {@link #fail} settles it early (the send itself failed).
     */
    final class Tracked implements Consumer<@Nullable Object> {
        private final String what;
        private final CompletableFuture<Void> future;
        private int left;
        private @Nullable String error;
        private boolean done;

        private Tracked(int commands, String what, CompletableFuture<Void> future) {
            this.left = commands;
            this.what = what;
            this.future = future;
        }

        @Override
        public void accept(@Nullable Object reply) {
            boolean last;
            synchronized (this) {
                if (done) {
                    return;
                }
                String e = errorOf(reply);
                if (e != null && error == null) {
                    error = e;
                }
                last = --left == 0;
                done = last;
            }
            if (last) {
                hand(this);
            }
        }

        /** Settles it with {@code e} unless already settled (the command was never written). */
        void fail(RuntimeException e) {
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
                error = e.getMessage();
            }
            hand(this);
        }

        private void complete() {
            outstanding.decrementAndGet();
            window.release();
            String e = error;
            if (e == null) {
                future.complete(null);
            } else {
                String lost = "CONNECTION_LOST ";
                future.completeExceptionally(new OperationalException(e.startsWith(lost)
                        ? what + " not acknowledged: the connection was lost before Redis answered (Redis may or may not"
                                + " have the message): " + e.substring(lost.length())
                        : what + " failed: " + e));
            }
        }
    }

    /** The error in a reply: an error reply, or one inside EXEC's array; null if none. */
    private static @Nullable String errorOf(@Nullable Object reply) {
        if (reply instanceof RespError err) {
            return err.message();
        }
        if (reply instanceof java.util.List<?> list) {
            for (Object o : list) {
                if (o instanceof RespError err) {
                    return err.message();
                }
            }
        }
        return null;
    }

    private void hand(Tracked t) {
        settled.add(t);
        Thread r = reader;
        if (r == null) {
            completeSettled(); // no reader (it failed): nobody else would
            return;
        }
        if (Thread.currentThread() != r) {
            Selector s = selector;
            if (s != null) {
                s.wakeup(); // read by another thread (a synchronous call, a close): the reader completes it
            }
        }
    }

    private void startReader() {
        if (reader != null) {
            return;
        }
        synchronized (this) {
            if (reader != null) {
                return;
            }
            try {
                selector = Selector.open();
            } catch (IOException e) {
                throw new OperationalException("cannot open a selector for Redis's publish replies: " + e.getMessage(), e);
            }
            Thread t = new Thread(this::readLoop, "kombu4j-redis-replies");
            t.setDaemon(true);
            reader = t;
            t.start();
        }
    }

    /** The reader thread: waits for replies while publishes are outstanding, completes them outside the lock. */
    private void readLoop() {
        Selector sel = selector;
        RedisConnection watched = null;
        SelectionKey key = null;
        long lastProgress = System.nanoTime();
        try {
            while (!closed) {
                if (completeSettled() > 0) {
                    lastProgress = System.nanoTime();
                }
                int n = outstanding.get();
                if (n == 0) {
                    if (key != null && key.isValid()) {
                        // Not cancelled: a cancel must be flushed with selectNow, which would clear a wakeup from track.
                        key.interestOps(0); // invalidation pushes stay for the next command to read
                    }
                    sel.select(1000); // idle: woken when a publish is tracked (track wakes it) or on close
                    lastProgress = System.nanoTime();
                    continue;
                }
                RedisConnection c = transport.commandConnection();
                if (c == null || !c.isOpen()) {
                    // Its close failed every pending reply; they arrive through settled.
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    continue;
                }
                if (c != watched || key == null || !key.isValid()) {
                    if (key != null) {
                        key.cancel(); // the old socket's: a new socket registers without flushing it
                    }
                    try {
                        key = c.socket().register(sel, SelectionKey.OP_READ);
                    } catch (ClosedChannelException e) {
                        continue;
                    }
                    watched = c;
                } else if (key.interestOps() != SelectionKey.OP_READ) {
                    key.interestOps(SelectionKey.OP_READ);
                }
                awaitReadable(sel);
                RedisConnection target = c;
                try {
                    int read = transport.commandsIfConnected(cc -> {
                        if (cc != target || !cc.isOpen()) {
                            return 0;
                        }
                        int got = cc.onReadable();
                        if (unwritten > 0) {
                            writeQueued(cc); // what the sender left for this moment, in one write
                        }
                        return got;
                    });
                    if (read > 0) {
                        lastProgress = System.nanoTime();
                    }
                } catch (OperationalException e) {
                    log.debug("reading publish replies failed (the outstanding publishes fail with it)", e);
                }
                long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastProgress);
                if (settled.isEmpty() && silentMs > transport.options().socketTimeout().toMillis()) {
                    c.abort("no reply to " + outstanding.get() + " tracked publish(es) within "
                            + transport.options().socketTimeout().toMillis() + " ms (socket_timeout)");
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            log.warn("the Redis publish reply reader stopped", e);
            stopped(e);
        } finally {
            completeSettled();
        }
    }

    /**
     * The reader failed unexpectedly: nobody would read the outstanding replies, so the command connection is
     * closed, which fails them (completed by {@link #hand} at once now), and the next tracked publish starts a
     * new reader.
     */
    private void stopped(Throwable e) {
        synchronized (this) {
            reader = null;
            Selector s = selector;
            selector = null;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // Nothing to do.
                }
            }
        }
        RedisConnection c = transport.commandConnection();
        if (c != null && outstanding.get() > 0) {
            c.abort("the thread reading tracked publishes' replies failed: " + e);
        }
    }

    /**
     * How long the reader polls the socket without blocking before it waits in the selector: a thread that sleeps
     * for a loopback round trip costs about another round trip to wake on a VM (see {@code SyncCalls}), and the
     * sender's deferred writes wait for this thread.
     */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    /** Waits until the socket is readable, another thread settled a publish, or 100 ms passed. */
    private void awaitReadable(Selector sel) throws IOException {
        long start = System.nanoTime();
        do {
            // selectNow clears a pending wakeup, so what it would have announced (settled) is checked here.
            if (sel.selectNow() > 0 || !settled.isEmpty()) {
                sel.selectedKeys().clear();
                return;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - start < SPIN_NANOS);
        sel.select(100);
        sel.selectedKeys().clear();
    }

    private int completeSettled() {
        int count = 0;
        Tracked t;
        while ((t = settled.poll()) != null) {
            count++;
            try {
                t.complete();
            } catch (RuntimeException e) {
                log.debug("completing a tracked publish failed", e);
            }
        }
        return count;
    }

    /**
     * Waits up to {@code timeoutMs} for every outstanding publish to settle (the transport is closing while
     * connected: their replies are on the way, so a close right after sending does not fail them).
     */
    void awaitOutstanding(long timeoutMs) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (outstanding.get() > 0 && reader != null && reader.isAlive() && System.nanoTime() - end < 0) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
    }

    /** Stops the reader after the connections are closed: what they failed is completed first. */
    void close() {
        closed = true;
        Selector s = selector;
        Thread r = reader;
        if (s != null) {
            s.wakeup();
        }
        if (r != null && r != Thread.currentThread()) {
            try {
                r.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        completeSettled();
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // Nothing to do.
            }
        }
    }
}
