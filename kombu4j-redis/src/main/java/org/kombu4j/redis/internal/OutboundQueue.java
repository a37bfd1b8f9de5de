package org.kombu4j.redis.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayDeque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The bytes a {@link RedisConnection} has to write. Commands are appended to one buffer until the next
 * write seals it: a batch of pipelined publishes is then one array and one copy into the socket, not
 * an array per command. A fully written batch buffer is kept as a spare for the next one. Not
 * thread-safe: the connection guards it with its lock.
 */
final class OutboundQueue {
    private static final int INITIAL_BYTES = 8192;
    private static final int SPARE_MAX_BYTES = 256 * 1024;

    private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    private final ArrayDeque<RespWriter> sealed = new ArrayDeque<>();
    private @Nullable RespWriter tail;
    private int tailSends;
    private @Nullable RespWriter spare;

    /** Encodes {@code command} at the end of the unsealed batch; an unsendable one leaves nothing behind. */
    void append(List<?> command) {
        RespWriter w = tail;
        if (w == null) {
            w = spare != null ? spare : new RespWriter(INITIAL_BYTES);
            spare = null;
            w.reset();
            tail = w;
        }
        int mark = w.size();
        try {
            w.write(command);
        } catch (RuntimeException e) {
            w.truncate(mark);
            throw e;
        }
        tailSends++;
    }

    /** How many sends wait to be written: sealed batches count as one each. */
    int queued() {
        return out.size() + tailSends;
    }

    boolean isEmpty() {
        return out.isEmpty() && tail == null;
    }

    /** Seals the open batch and returns every buffer still to write, oldest first (for TLS to wrap). */
    ByteBuffer[] sealedBuffers() {
        seal();
        return out.toArray(new ByteBuffer[0]);
    }

    /** Drops the buffers {@link #sealedBuffers} gave out that were written completely. */
    void dropWritten() {
        while (!out.isEmpty() && !out.peek().hasRemaining()) {
            out.poll();
        }
        if (out.isEmpty()) {
            recycle();
        }
    }

    /**
     * Writes what {@code channel} takes without blocking, with one gathering write for everything
     * queued (a batch of publishes costs one syscall).
     *
     * @return true if everything queued is written; false when the socket buffer is full
     */
    boolean writeTo(GatheringByteChannel channel) throws IOException {
        seal();
        while (!out.isEmpty()) {
            if (out.size() == 1) {
                channel.write(out.peek());
            } else {
                channel.write(out.toArray(new ByteBuffer[0]));
            }
            boolean progressed = false;
            while (!out.isEmpty() && !out.peek().hasRemaining()) {
                out.poll();
                progressed = true;
            }
            if (!out.isEmpty() && !progressed) {
                return false;
            }
        }
        recycle();
        return true;
    }

    /** Forgets everything (the connection closed). */
    void clear() {
        out.clear();
        tail = null;
        tailSends = 0;
        sealed.clear();
        spare = null;
    }

    private void seal() {
        RespWriter w = tail;
        if (w != null) {
            out.add(w.toByteBuffer());
            sealed.add(w);
            tail = null;
            tailSends = 0;
        }
    }

    /** Once everything is written: keep the last batch buffer as the spare, if it is not too big. */
    private void recycle() {
        RespWriter last = sealed.peekLast();
        if (last != null && last.capacity() <= SPARE_MAX_BYTES) {
            spare = last;
        }
        sealed.clear();
    }
}
