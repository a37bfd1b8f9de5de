package org.kombu4j.amqp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.kombu4j.MessageStateException;

/**
 * The delivery tags one {@link AmqpChannel} hands out, which of them are still unacknowledged, and the
 * acknowledgements decided but not yet sent, which it coalesces into {@code basic.ack(multiple=true)}.
 *
 * <p>A tag encodes the AMQP channel's generation in its top bits, so an ack of a message from a
 * replaced AMQP channel is refused ({@link MessageStateException}) instead of acking an unrelated
 * message or killing the new channel with an unknown-tag error.
 *
 * <p>When a multiple ack is safe: {@code basic.ack(N, multiple=true)} settles every delivery of the AMQP
 * channel with a tag up to N that the broker still counts as unacknowledged, whether this client meant
 * to or not. So one is sent only for a run of pending acks below the lowest tag still unacknowledged
 * here, and only up to the highest tag below which every tag of the channel has been seen here (a
 * {@code basic.get} on a caller's thread can take tag 7 while tag 6 still waits in the client's consumer
 * queue). Every other pending ack goes alone. All frames that settle messages (acks, rejects, a recover)
 * are written under one lock, in the order they were decided, so a multiple ack can never overtake the
 * reject of a lower tag or cover a tag another frame settles after it (RabbitMQ closes the channel on an
 * unknown tag). Thread-safe.
 */
final class DeliveryTags {
    private static final int TAG_BITS = 44;
    private static final long TAG_MASK = (1L << TAG_BITS) - 1;
    /** Tags seen out of order beyond which coalescing gives up for the generation (a tag that never came). */
    private static final int MAX_AHEAD = 4096;

    /** Writes settling frames to the AMQP channel of the generation the caller names. */
    interface Wire {
        void ack(long amqpTag, boolean multiple) throws IOException;

        void reject(long amqpTag, boolean requeue) throws IOException;
    }

    /** Held while frames that settle messages are decided and written: keeps them in order. */
    private final ReentrantLock wire = new ReentrantLock();
    // The state below is guarded by `this` (short sections, never across I/O).
    private long generation;
    /** AMQP tags of the current generation not settled here yet. */
    private final TreeSet<Long> unacked = new TreeSet<>();
    /** AMQP tags acknowledged here, not yet written. */
    private final TreeSet<Long> pending = new TreeSet<>();
    /** Every AMQP tag from 1 to this one has been issued here in the current generation. */
    private long seenThrough;
    /** Tags issued above {@link #seenThrough} + 1, waiting for the gap to close. */
    private final TreeSet<Long> seenAhead = new TreeSet<>();
    /** A gap never closed: no more multiple acks in this generation. */
    private boolean gapGivenUp;

    /** The kombu4j tag of a delivery on the AMQP channel of {@code generation}; remembered unless {@code noAck}. */
    long issue(long generation, long amqpTag, boolean noAck) {
        long t = amqpTag & TAG_MASK;
        synchronized (this) {
            if (generation != this.generation) {
                reset(generation);
            }
            seen(t);
            if (!noAck) {
                unacked.add(t);
            }
        }
        return (generation << TAG_BITS) | t;
    }

    private void seen(long t) {
        if (t == seenThrough + 1) {
            seenThrough = t;
            while (!seenAhead.isEmpty() && seenAhead.first() == seenThrough + 1) {
                seenThrough = seenAhead.pollFirst();
            }
        } else if (t > seenThrough && !gapGivenUp) {
            seenAhead.add(t);
            if (seenAhead.size() > MAX_AHEAD) {
                gapGivenUp = true;
                seenAhead.clear();
            }
        }
    }

    private void reset(long newGeneration) {
        generation = newGeneration;
        unacked.clear();
        pending.clear();
        seenAhead.clear();
        seenThrough = 0;
        gapGivenUp = false;
    }

    /** The AMQP tag of a kombu4j tag. */
    static long amqpTag(long tag) {
        return tag & TAG_MASK;
    }

    /** Takes {@code tag} out of the unacknowledged; the caller holds {@code this}. */
    private long take(long tag, long generation, String verb) {
        long t = tag & TAG_MASK;
        if ((tag >>> TAG_BITS) != generation || generation != this.generation || !unacked.remove(t)) {
            throw new MessageStateException("cannot " + verb + " delivery tag " + tag + ": not an unacknowledged message"
                    + " of this channel (already settled, redelivered by recover, or from a channel that closed)");
        }
        return t;
    }

    /**
     * Acknowledges {@code tag} later: it joins the pending acks, written by the next {@link #flush}.
     *
     * @return whether nothing was pending before (the caller arranges a flush then)
     * @throws MessageStateException if it is not an unacknowledged message of {@code generation}
     */
    synchronized boolean ackLater(long tag, long generation) {
        long t = take(tag, generation, "ack");
        boolean first = pending.isEmpty();
        pending.add(t);
        return first;
    }

    /** Acknowledges {@code tag} now, with whatever acks are pending (coalesced where safe). */
    void ack(long tag, long generation, Wire out) throws IOException {
        wire.lock();
        try {
            synchronized (this) {
                pending.add(take(tag, generation, "ack"));
            }
            write(generation, out);
        } finally {
            unlockWire(generation, out);
        }
    }

    /** Writes the pending acks of {@code generation} (those of an older one are void: dropped). */
    void flush(long generation, Wire out) throws IOException {
        wire.lock();
        try {
            write(generation, out);
        } finally {
            unlockWire(generation, out);
        }
    }

    /** Under {@link #wire}: decides the frames for the pending acks, then writes them. */
    private boolean write(long generation, Wire out) throws IOException {
        long multipleUpTo;
        long[] single;
        synchronized (this) {
            if (pending.isEmpty() || generation != this.generation) {
                return false;
            }
            long bound = gapGivenUp ? 0 : seenThrough;
            if (!unacked.isEmpty()) {
                bound = Math.min(bound, unacked.first() - 1);
            }
            Long top = pending.floor(bound);
            multipleUpTo = 0;
            if (top != null) {
                // A run of one needs no multiple: keep the frame exactly what a single ack would be.
                boolean run = pending.first() < top;
                multipleUpTo = run ? top : 0;
                if (run) {
                    pending.headSet(top, true).clear();
                }
            }
            single = new long[pending.size()];
            int i = 0;
            for (long t : pending) {
                single[i++] = t;
            }
            pending.clear();
        }
        // On a failure the rest are lost with the channel, which is closing: the broker requeues them.
        if (multipleUpTo > 0) {
            out.ack(multipleUpTo, true);
        }
        for (long t : single) {
            out.ack(t, false);
        }
        return true;
    }

    /**
     * Writes the pending acks now, on the caller's thread, unless another thread is writing settling frames: then
     * that thread writes them as it lets go ({@link #unlockWire}), so acks of busy threads share frames without
     * any of them waiting for another.
     */
    void flushIfFree(long generation, Wire out) throws IOException {
        if (!wire.tryLock()) {
            return;
        }
        try {
            write(generation, out);
        } finally {
            unlockWire(generation, out);
        }
    }

    /**
     * Lets go of {@link #wire}, then writes acks that threads left pending meanwhile ({@link #flushIfFree} gave
     * way to this one): a thread that gave way added its tag before its tryLock failed, so before this unlock,
     * and the check after the unlock sees it.
     */
    private void unlockWire(long generation, Wire out) throws IOException {
        wire.unlock();
        while (hasPending() && wire.tryLock()) {
            boolean wrote;
            try {
                wrote = write(generation, out);
            } finally {
                wire.unlock();
            }
            if (!wrote) {
                return; // of another generation: void
            }
        }
    }

    /**
     * Rejects {@code tag} now (requeued or not), ordered with the acks: no multiple ack written before it
     * covered it (it was unacknowledged then), and one written after finds it settled on the broker.
     *
     * @throws MessageStateException if it is not an unacknowledged message of {@code generation}
     */
    void reject(long tag, long generation, boolean requeue, Wire out) throws IOException {
        wire.lock();
        try {
            long t;
            synchronized (this) {
                t = take(tag, generation, "reject");
            }
            // Not the pending acks first: had they been decided without this tag among the unacknowledged they
            // could cover it. Written after this reject, a multiple ack finds it settled and leaves it alone.
            out.reject(t, requeue);
        } finally {
            unlockWire(generation, out);
        }
    }

    /** Requeues {@code tag} if it is still unacknowledged (a delivery that arrived after cancel); false if not. */
    boolean requeueIfUnacked(long tag, long generation, Wire out) throws IOException {
        wire.lock();
        try {
            long t;
            synchronized (this) {
                t = tag & TAG_MASK;
                if ((tag >>> TAG_BITS) != generation || generation != this.generation || !unacked.remove(t)) {
                    return false;
                }
            }
            out.reject(t, true);
            return true;
        } finally {
            unlockWire(generation, out);
        }
    }

    /** Whether acks are waiting for a {@link #flush}. */
    synchronized boolean hasPending() {
        return !pending.isEmpty();
    }

    /** An operation on the AMQP channel that voids the tags unacknowledged when it starts ({@code basic.recover}). */
    interface Recover {
        void run() throws IOException;
    }

    /**
     * Writes the pending acks, then runs {@code recover} and forgets the tags unsettled on the broker before it
     * (they are redelivered with new tags). Redeliveries that arrive meanwhile keep theirs; acks and rejects wait
     * until it is done, so none names a tag it made void (an ack decided meanwhile for such a tag is dropped:
     * the message comes again, as after a lost connection).
     *
     * @return the kombu4j tags it made void
     */
    List<Long> recover(long generation, Wire out, Recover recover) throws IOException {
        wire.lock();
        try {
            write(generation, out);
            List<Long> before = new ArrayList<>();
            synchronized (this) {
                if (generation == this.generation) {
                    before.addAll(unacked);
                    before.addAll(pending);
                }
            }
            recover.run();
            List<Long> voided = new ArrayList<>(before.size());
            synchronized (this) {
                if (generation == this.generation) {
                    before.forEach(unacked::remove);
                    before.forEach(pending::remove);
                }
            }
            for (long t : before) {
                voided.add((generation << TAG_BITS) | t);
            }
            return voided;
        } finally {
            unlockWire(generation, out);
        }
    }

    /** Forgets every tag (the AMQP channel is gone, or a new one replaces it). */
    synchronized void clear() {
        reset(generation);
    }
}
