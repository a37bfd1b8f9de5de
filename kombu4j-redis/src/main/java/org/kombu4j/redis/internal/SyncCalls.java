package org.kombu4j.redis.internal;

import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The synchronous use of a {@link RedisConnection}: send, then wait on its private selector until the
 * replies are in, within the command timeout. Only for a caller that is the connection's one reader.
 */
final class SyncCalls {
    /**
     * How long a spinning synchronous call ({@link RedisConnection#pipelineSpinning}: a publish) reads the socket
     * without blocking, after writing, before it waits in the selector: {@value #DEFAULT_SPIN_MICROS} µs, or the system property {@value #SPIN_PROPERTY} (0 = never).
     * Why: a reply on loopback comes back in 20–70 µs here. A thread that blocks in {@code epoll_wait} for it
     * lets its CPU go idle, and waking it again (an inter-processor interrupt, on a VM an exit to the
     * hypervisor) costs about as much again: {@code redis-benchmark -c 1 -P 1} itself alternates between
     * ~14,000 and ~30,000 LPUSH/s on this machine, p50 0.068 vs 0.023 ms. Reading for a bounded while first
     * keeps the reply on a running thread; a slow reply costs at most the spin in CPU before the ordinary wait.
     * Only publishes spin: with the spin on every call, the Redis event thread's acknowledgement batches took
     * CPU from a worker's task threads and Redis (CPU per task about doubled in {@code celery-worker}).
     */
    static final String SPIN_PROPERTY = "kombu4j.redis.syncSpinMicros";
    static final long DEFAULT_SPIN_MICROS = 50;
    private static final long SPIN_NANOS = spinNanos(System.getProperty(SPIN_PROPERTY));

    private SyncCalls() {
    }

    static long spinNanos(@Nullable String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_SPIN_MICROS * 1000;
        }
        try {
            long us = Long.parseLong(value.trim());
            if (us < 0 || us > 10_000) {
                throw new NumberFormatException();
            }
            return us * 1000;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + SPIN_PROPERTY
                    + " must be a number of microseconds from 0 to 10000, got '" + value + "'");
        }
    }

    /**
     * Reads without blocking until {@code done} or {@link #SPIN_NANOS} have passed.
     *
     * @return whether {@code done} became true
     */
    private static boolean spinRead(RedisConnection c, java.util.function.BooleanSupplier done) {
        if (SPIN_NANOS == 0) {
            return false;
        }
        long start = System.nanoTime();
        do {
            if (c.onReadable() > 0 && done.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - start < SPIN_NANOS);
        return done.getAsBoolean();
    }

    /** See {@link RedisConnection#awaitPending}. */
    static void awaitPending(RedisConnection c, int maxPending) {
        long deadline = c.commandDeadline();
        flushAll(c, deadline);
        while (c.pendingReplies() > maxPending) {
            // Replies are usually waiting already: one read instead of a select and then a read.
            if (c.onReadable() == 0) {
                c.waitFor(SelectionKey.OP_READ, deadline, c.endpoint().commandTimeout(), "pipelined replies");
                c.onReadable();
            }
            flushAll(c, deadline); // a callback may have queued a command (a NOSCRIPT retry)
        }
    }

    /**
     * See {@link RedisConnection#pipeline}.
     *
     * @param spin read without blocking for up to {@link #SPIN_NANOS} first: for a caller that waits for nothing
     *             else (a synchronous publish); not for threads that serve others meanwhile (the event thread's
     *             acknowledgement batches), whose spin would take CPU the task threads and Redis need
     */
    static List<@Nullable Object> pipeline(RedisConnection c, List<? extends List<?>> commands, boolean spin) {
        @Nullable Object[] replies = new Object[commands.size()];
        int[] got = {0};
        List<Consumer<@Nullable Object>> cbs = new ArrayList<>(commands.size());
        for (int i = 0; i < commands.size(); i++) {
            int idx = i;
            cbs.add(r -> {
                replies[idx] = r;
                got[0]++;
            });
        }
        c.sendAll(commands, cbs);
        long deadline = c.commandDeadline();
        flushAll(c, deadline);
        if (spin) {
            spinRead(c, () -> got[0] >= replies.length);
        }
        while (got[0] < replies.length) {
            c.waitFor(SelectionKey.OP_READ, deadline, c.endpoint().commandTimeout(), "reply to " + commands.get(got[0]).get(0));
            c.onReadable();
        }
        return new ArrayList<>(Arrays.asList(replies));
    }

    private static void flushAll(RedisConnection c, long deadline) {
        while (!c.flush()) {
            c.waitFor(SelectionKey.OP_WRITE, deadline, c.endpoint().commandTimeout(), "write");
        }
    }
}
