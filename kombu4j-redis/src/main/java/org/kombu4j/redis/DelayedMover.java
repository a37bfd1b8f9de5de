package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves due delayed messages of the queues this transport consumes into their lists, on the event
 * thread, with the {@link Script#MOVE_DUE move script}. It runs for a queue when consuming starts,
 * when another client writes the queue's delayed set (the event connection tracks those keys too, so
 * a publisher in another process adding a new earliest message wakes us at once), and at the
 * earliest due time it knows of (one timer for the transport). Several consumers racing for the same
 * due messages are harmless: the move is atomic, so each message is moved once.
 *
 * <p>Only kombu4j consumers move delayed messages: a queue consumed only by Python Kombu keeps them
 * in the set.
 */
final class DelayedMover {
    private static final Logger log = LoggerFactory.getLogger(DelayedMover.class);
    /** Most messages one run of the script moves; a full run is followed by another at once. */
    static final int BATCH = 1000;

    private final RedisTransport transport;
    private final Keys keys;

    // Event-thread state.
    /** Queue → the due time (epoch ms) of its earliest delayed message, as last seen. */
    private final Map<String, Long> heads = new HashMap<>();
    private final Set<String> pending = new LinkedHashSet<>();
    private int inFlight;
    private long timerDue = Long.MAX_VALUE;

    DelayedMover(RedisTransport transport) {
        this.transport = transport;
        this.keys = transport.keys();
    }

    /** Runs the move script for {@code queues} soon (any thread). */
    void request(List<String> queues) {
        if (queues.isEmpty()) {
            return;
        }
        MultiChannelPoller poller = transport.poller();
        if (!poller.inEventThread()) {
            List<String> copy = List.copyOf(queues);
            poller.post(() -> request(copy));
            return;
        }
        pending.addAll(queues);
        runPending();
    }

    /** The queue whose delayed set {@code key} is, or null if it is not such a key. */
    @Nullable String queueOfKey(String key) {
        String p = keys.delayedPrefix();
        return key.startsWith(p) ? key.substring(p.length()) : null;
    }

    private void runPending() {
        // One round of scripts at a time: a burst of 1,000 delayed publishes (1,000 wake-ups) costs a
        // few runs, not 1,000.
        if (inFlight > 0 || pending.isEmpty() || !transport.isConnected()) {
            return;
        }
        List<String> queues = new ArrayList<>(pending);
        pending.clear();
        String now = Long.toString(transport.clock().millis());
        List<Object> stepArgs = new ArrayList<>();
        for (int s : keys.steps()) {
            stepArgs.add(Integer.toString(s));
        }
        for (String q : queues) {
            List<Object> ks = new ArrayList<>();
            ks.add(keys.delayed(q));
            ks.addAll(keys.queueKeys(q));
            List<Object> args = new ArrayList<>(List.of(now, BATCH));
            args.addAll(stepArgs);
            inFlight++;
            Script.MOVE_DUE.send(transport.events(), ks, args, transport.poller()::flushEvents, r -> onReply(q, r));
        }
        transport.poller().flushEvents();
    }

    private void onReply(String queue, @Nullable Object reply) {
        inFlight--;
        if (reply instanceof RespError) {
            if (transport.isConnected()) {
                log.warn("moving due delayed messages of {} failed: {}", queue, ((RespError) reply).message());
            }
            // Tried again at the next wake-up or timer.
            heads.put(queue, transport.clock().millis() + 1000);
        } else if (reply != null) {
            List<Object> r = Resp.array(reply);
            long moved = Resp.integer(r.get(0));
            long head = (long) Double.parseDouble(Resp.text(r.get(1)));
            if (head < 0) {
                heads.remove(queue);
            } else {
                heads.put(queue, head);
            }
            if (moved > 0) {
                // Our own writes raise no invalidation on this connection (NOLOOP): pop them ourselves.
                for (RedisChannel ch : transport.channels()) {
                    if (ch.popper().noteTouched(List.of(keys.queue(queue, keys.steps().get(0))))) {
                        ch.popper().requestPop();
                    }
                }
            }
            if (moved >= BATCH) {
                pending.add(queue);
            }
        }
        if (inFlight == 0) {
            runPending();
            schedule();
        }
    }

    /** Arms the transport's timer for the earliest known head among the queues still consumed. */
    private void schedule() {
        Set<String> consumed = new LinkedHashSet<>();
        for (RedisChannel ch : transport.channels()) {
            consumed.addAll(ch.consumedListQueues());
        }
        heads.keySet().retainAll(consumed);
        long earliest = Long.MAX_VALUE;
        for (long h : heads.values()) {
            earliest = Math.min(earliest, h);
        }
        if (earliest == Long.MAX_VALUE || earliest == timerDue) {
            return;
        }
        timerDue = earliest;
        long waitMillis = Math.max(0, earliest - transport.clock().millis());
        transport.poller().wakeAt(transport.ticker().nanoTime() + waitMillis * 1_000_000L, this::onTimer);
    }

    private void onTimer() {
        timerDue = Long.MAX_VALUE;
        long now = transport.clock().millis();
        List<String> due = new ArrayList<>();
        heads.forEach((q, h) -> {
            if (h <= now) {
                due.add(q);
            }
        });
        if (due.isEmpty()) {
            schedule(); // early by the ticker against the wall clock: wait for the rest
        } else {
            request(due);
        }
    }
}
