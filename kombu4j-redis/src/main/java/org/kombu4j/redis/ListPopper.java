package org.kombu4j.redis;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pop loop of one {@link RedisChannel}, on the event thread: which of its lists to visit next (the
 * ones an {@code invalidate} push named, newly tracked ones, or all of them after a gap in tracking),
 * running the {@link Script#POP pop script} with the room prefetch leaves (reserved while the reply is
 * on the wire, so prefetch is an exact bound), and handing each message of the reply to the channel.
 * Only {@link #requestPop} and {@link #capacityFreed} may be called from other threads.
 */
final class ListPopper {
    private static final Logger log = LoggerFactory.getLogger(ListPopper.class);
    /** Most messages one pop script takes, so one busy queue cannot make a huge reply. */
    static final int BATCH = 100;
    /** The pop script's per-queue flag: take without recording in {@code unacked}. */
    private static final String POP_NO_ACK = "1";
    /** The pop script's per-queue flag: record each message taken in {@code unacked}. */
    private static final String POP_ACKED = "0";

    private final RedisChannel channel;
    private final RedisTransport transport;
    private final MultiChannelPoller poller;
    private final Keys keys;
    private final ChannelConsumers consumers;
    private final UnackedDeliveries unacked;

    // Event-thread state.
    private boolean popInFlight;
    private boolean popAgain;
    /** Queues to pop next: named by invalidate pushes, newly tracked, or left with messages by the last pop. */
    private final Set<String> popPending = new LinkedHashSet<>();
    /** Whether the next pop must visit every consumed queue (new channel, tracking rebuilt, flush, error). */
    private boolean sweep = true;
    private volatile boolean starved;
    /** Woken by room another channel sharing the prefetch made: if this pop does not use it, the next starved one must. */
    private volatile boolean wokenForRoom;
    private int rotation;

    ListPopper(RedisChannel channel, RedisTransport transport, ChannelConsumers consumers, UnackedDeliveries unacked) {
        this.channel = channel;
        this.transport = transport;
        this.poller = transport.poller();
        this.keys = transport.keys();
        this.consumers = consumers;
        this.unacked = unacked;
    }

    /**
     * An {@code invalidate} push named {@code touchedKeys} (event thread): remembers which of our
     * queues they belong to, so the next pop visits only those.
     *
     * @return whether any of them is ours
     */
    boolean noteTouched(Iterable<String> touchedKeys) {
        boolean any = false;
        for (String k : touchedKeys) {
            String q = consumers.queueOfKey(k);
            if (q != null) {
                popPending.add(q);
                any = true;
            }
        }
        return any;
    }

    /** Those of {@code queues} this channel consumes from lists (event thread). */
    List<String> consumedAmong(List<String> queues) {
        List<String> out = new ArrayList<>();
        for (String q : queues) {
            if (consumers.queueOfKey(keys.queue(q, keys.steps().get(0))) != null) {
                out.add(q);
            }
        }
        return out;
    }

    /** The next pop visits every consumed queue (event thread): after a tracking rebuild, a flush, an error. */
    void requestSweep() {
        sweep = true;
        requestPop();
    }

    /** After a subscription sync that tracks {@code added} (event thread): pop those, or everything if tracking was rebuilt. */
    void afterSync(boolean rebuilt, List<String> added) {
        if (rebuilt) {
            sweep = true;
        } else {
            popPending.addAll(added);
        }
        requestPop();
    }

    /** Runs the pop script for this channel now (on the event thread) or as soon as the running one answers. */
    void requestPop() {
        if (!poller.inEventThread()) {
            poller.post(this::requestPop);
            return;
        }
        if (!channel.consuming()) {
            passRoom();
            return;
        }
        if (popInFlight) {
            popAgain = true;
            return;
        }
        // Only the queues an invalidate push named (or that the last pop left non-empty) are visited;
        // a sweep over all of them only when we cannot know (new channel, tracking rebuilt, flush,
        // error). A wake-up then costs the same for 1 queue or 10,000.
        List<String> queues;
        boolean sweeping = sweep;
        if (sweeping) {
            queues = consumers.listQueues();
        } else {
            if (popPending.isEmpty()) {
                passRoom();
                return;
            }
            queues = consumers.poppable(popPending);
        }
        if (queues.isEmpty()) {
            sweep = false;
            popPending.clear();
            passRoom();
            return;
        }
        // Kombu's round_robin: the queue order rotates on every pop so none is starved.
        int nq = queues.size();
        int shift = Math.floorMod(rotation++, nq);
        List<String> rotated = new ArrayList<>(queues.subList(shift, nq));
        rotated.addAll(queues.subList(0, shift));
        boolean[] noAck = consumers.noAck(rotated);
        boolean anyNoAck = false;
        boolean anyAcked = false;
        for (boolean na : noAck) {
            anyNoAck |= na;
            anyAcked |= !na;
        }
        // Reserved, not just read: messages this pop brings count against prefetch while its reply
        // is on the wire, so a pop sent meanwhile (the overlap below) cannot overshoot the limit.
        int maxAcked = anyAcked ? unacked.reserve(BATCH) : 0;
        if (maxAcked == 0 && !anyNoAck) {
            markStarved(); // sweep/popPending stay as they are for when capacity frees
            return;
        }
        wokenForRoom = false;
        sweep = false;
        popPending.clear();
        List<Object> ks = new ArrayList<>(List.of(keys.unacked(), keys.unackedIndex(), keys.unackedQueues(), keys.leases()));
        for (int step : keys.steps()) {
            for (String q : rotated) {
                ks.add(keys.queue(q, step));
            }
        }
        List<Object> args = new ArrayList<>(List.of(scoreNow(transport.clock()), BATCH, maxAcked, nq));
        for (boolean na : noAck) {
            args.add(flag(na));
        }
        args.add(leaseUntil(transport));
        popInFlight = true;
        try {
            Script.POP.send(transport.events(), ks, args, poller::flushEvents,
                    reply -> onPopReply(rotated, sweeping, noAck, maxAcked, reply));
        } catch (RuntimeException e) {
            popInFlight = false;
            unacked.release(maxAcked); // never sent: nothing will come for the reservation
            throw e;
        }
        poller.flushEvents();
    }

    /**
     * The {@code unacked_index} score of a delivery: now in whole seconds, rounded up. Whole numbers are
     * stored as integers in a small sorted set, and Redis then inserts without parsing a float per
     * member (measured: about a fifth of the pop script's time); rounding up means a message is restored
     * at most a second after its visibility timeout, never before it.
     */
    static String scoreNow(Clock clock) {
        return Long.toString((clock.millis() + 999) / 1000);
    }

    /** The pop script's lease argument: when a message taken now stops being held (epoch ms), or '' without leases. */
    static String leaseUntil(RedisTransport transport) {
        long lease = transport.options().lease().toMillis();
        return lease == 0 ? "" : Long.toString(transport.clock().millis() + lease);
    }

    /** The pop script's per-queue flag for a queue whose consumers are {@code noAck} or not. */
    static String flag(boolean noAck) {
        return noAck ? POP_NO_ACK : POP_ACKED;
    }

    private void onPopReply(List<String> queues, boolean swept, boolean[] noAck, int maxAcked, @Nullable Object reply) {
        popInFlight = false;
        if (reply instanceof RespError) {
            unacked.release(maxAcked);
            if (!channel.consuming() || !transport.isConnected()) {
                return; // closing: the connection went away under an in-flight pop
            }
            log.warn("Redis pop script failed: {}", ((RespError) reply).message());
            sweep = true; // we do not know what it left: the next wake-up visits everything
            return;
        }
        List<Object> items = Resp.array(reply);
        int nq = queues.size();
        int total = items.size() / 3;
        int acked = 0;
        for (int i = 0; i + 2 < items.size(); i += 3) {
            if (!noAck[((int) Resp.integer(items.get(i)) - 1) % nq]) {
                acked++;
            }
        }
        // What the pop did not take is free again at once; each message it took holds its unit until
        // dispatch holds the message (or gives it back).
        unacked.release(maxAcked - acked);
        boolean limited = total >= BATCH || (maxAcked > 0 && acked >= maxAcked);
        if (limited) {
            // The pop stopped at its limit, so the lists it visited may hold more; no push will say so
            // (nobody wrote to them). Visit them again: now if the batch was full, else when capacity frees.
            if (swept) {
                sweep = true;
            } else {
                popPending.addAll(queues);
            }
        }
        // Halfway through a full batch the acknowledgements so far are sent and the next pop is asked
        // for, so Redis runs it while the second half is handled here (within the prefetch limit).
        int overlapAt = limited && total >= 8 ? total / 2 : -1;
        int n = 0;
        for (int i = 0; i + 2 < items.size(); i += 3) {
            int ki = (int) Resp.integer(items.get(i)) - 1;
            String queue = queues.get(ki % nq);
            int step = keys.steps().get(ki / nq);
            String tag = Resp.text(items.get(i + 2));
            channel.dispatch(queue, keys.queue(queue, step), (byte[]) items.get(i + 1), tag,
                    noAck[ki % nq] ? RedisChannel.Source.POP_NO_ACK : RedisChannel.Source.POP);
            if (++n == overlapAt && channel.consuming()) {
                unacked.flushAcks();
                requestPop();
            }
        }
        unacked.flushAcks();
        if (total >= BATCH || popAgain) {
            popAgain = false;
            requestPop();
        } else if (maxAcked > 0 && acked >= maxAcked && !popInFlight) {
            markStarved();
        }
    }

    /**
     * Prefetch left no room for a pop (event thread): the next {@link #capacityFreed} asks for one. The
     * flag is set before room is checked again, so an ack in between (a handler's in the batch just
     * dispatched, or another thread's) is not missed: it either sees the flag or left the room seen here.
     */
    private void markStarved() {
        wokenForRoom = false;
        starved = true;
        channel.noteStarved(); // on a shared limit: woken by room any member makes, not by a walk over all of them
        if (unacked.hasRoom()) {
            capacityFreed();
        }
    }

    /**
     * Acks, rejects or a larger prefetch made room: a pop that stopped for want of it runs again.
     *
     * @return whether this channel was waiting for room (and now pops)
     */
    boolean capacityFreed() {
        if (starved && channel.consuming()) {
            starved = false;
            wokenForRoom = true;
            poller.post(this::requestPop);
            return true;
        }
        return false;
    }

    /** Woken for room but nothing to pop (event thread): the room goes to the next channel waiting for it. */
    private void passRoom() {
        if (wokenForRoom) {
            wokenForRoom = false;
            channel.roomUnused();
        }
    }
}
