package org.kombu4j.redis;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport-wide state of pipelined publishing ({@code publish_pipeline=N}) on the command
 * connection, shared by every channel's {@link RedisPublisher}: the linger flush that writes a partial
 * batch, and the NOSCRIPT retry barrier.
 */
final class PublishPipeline {
    private static final Logger log = LoggerFactory.getLogger(PublishPipeline.class);

    /** How long a partial batch of pipelined publishes may wait before it is written. */
    static final long LINGER_MICROS = 1000;

    private final RedisTransport transport;
    private final AtomicBoolean lingerScheduled = new AtomicBoolean();
    private volatile @Nullable ScheduledExecutorService flusher;
    /**
     * A pipelined publish met NOSCRIPT and its EVAL retry is queued behind publishes already sent:
     * the next publish waits until every reply is in, so none overtakes a retried one. Read and
     * written only inside {@link RedisTransport#commands}, so under its lock.
     */
    private boolean retryQueued;

    PublishPipeline(RedisTransport transport) {
        this.transport = transport;
    }

    /** Marks a NOSCRIPT retry as queued (inside {@link RedisTransport#commands}). */
    void retryQueued() {
        retryQueued = true;
    }

    /** Whether a retry was queued since the last call, clearing the mark (inside {@link RedisTransport#commands}). */
    boolean takeRetryQueued() {
        boolean was = retryQueued;
        retryQueued = false;
        return was;
    }

    /**
     * Makes sure publishes queued on the command connection are written within {@link #LINGER_MICROS}
     * even if no further publish comes: one daemon thread per transport, started by the first pipelined
     * publish, waking only while writes are queued.
     */
    void lingerFlush() {
        if (!lingerScheduled.compareAndSet(false, true)) {
            return;
        }
        ScheduledExecutorService f = flusher;
        if (f == null) {
            synchronized (this) {
                f = flusher;
                if (f == null) {
                    f = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "kombu4j-redis-flush");
                        t.setDaemon(true);
                        return t;
                    });
                    flusher = f;
                }
            }
        }
        try {
            f.schedule(() -> {
                lingerScheduled.set(false);
                try {
                    transport.commands(c -> {
                        if (c.queuedWrites() > 0) {
                            c.awaitPending(Integer.MAX_VALUE); // writes everything; replies are read by the next publish or close
                        }
                        return null;
                    });
                } catch (RuntimeException e) {
                    log.debug("flushing queued publishes failed (reported by the next publish or close)", e);
                }
            }, LINGER_MICROS, TimeUnit.MICROSECONDS);
        } catch (RejectedExecutionException e) {
            lingerScheduled.set(false); // closing
        }
    }

    /** Stops the linger thread (the transport is closing). */
    void close() {
        ScheduledExecutorService f = flusher;
        if (f != null) {
            f.shutdownNow();
        }
    }
}
