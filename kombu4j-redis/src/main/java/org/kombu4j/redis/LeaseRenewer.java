package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.kombu4j.KombuException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the leases of the messages this transport's consumers hold, every third of the lease, on a
 * thread of its own: a handler that blocks the event thread for longer than the lease (a slow task)
 * must not lose its message to another consumer. A renewal pushes the expiry in {@code _kombu4j.leases}
 * forward and re-scores Kombu's {@code unacked_index} entry to now, so a Python process restoring with
 * its own {@code visibility_timeout} does not take a message a live kombu4j consumer still holds
 * either. {@code XX}: a message acknowledged or restored meanwhile is not brought back.
 */
final class LeaseRenewer {
    private static final Logger log = LoggerFactory.getLogger(LeaseRenewer.class);
    /** Most tags per ZADD, to keep each command a modest size. */
    private static final int PER_COMMAND = 1000;

    private final RedisTransport transport;
    private final Keys keys;
    private @Nullable ScheduledExecutorService timer;

    LeaseRenewer(RedisTransport transport) {
        this.transport = transport;
        this.keys = transport.keys();
    }

    /** Starts renewing, if leases are on and it has not started. */
    synchronized void start() {
        long lease = transport.options().lease().toMillis();
        if (lease == 0 || timer != null) {
            return;
        }
        ScheduledExecutorService t = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "kombu4j-redis-lease");
            th.setDaemon(true);
            return th;
        });
        long every = Math.max(1, lease / 3);
        t.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        timer = t;
    }

    synchronized void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }

    /** One renewal of every held tag; a failure is logged and the next run tries again. */
    void renew() {
        List<String> tags = new ArrayList<>();
        for (RedisChannel ch : transport.channels()) {
            ch.heldTags(tags);
        }
        if (tags.isEmpty() || !transport.isConnected()) {
            return;
        }
        long now = transport.clock().millis();
        String until = Long.toString(now + transport.options().lease().toMillis());
        String indexScore = Long.toString((now + 999) / 1000); // as the pop script scores it
        List<List<Object>> cmds = new ArrayList<>();
        for (int i = 0; i < tags.size(); i += PER_COMMAND) {
            List<String> part = tags.subList(i, Math.min(tags.size(), i + PER_COMMAND));
            cmds.add(zaddXx(keys.leases(), until, part));
            cmds.add(zaddXx(keys.unackedIndex(), indexScore, part));
        }
        try {
            List<Object> r = transport.commands(c -> c.pipeline(cmds));
            for (Object o : r) {
                RedisTransport.check(o, "ZADD XX");
            }
        } catch (KombuException e) {
            log.warn("renewing the leases of {} held messages failed (retried in a third of the lease): {}", tags.size(), e.getMessage());
        } catch (RuntimeException e) {
            log.warn("renewing leases failed", e);
        }
    }

    private static List<Object> zaddXx(String key, String score, List<String> tags) {
        List<Object> cmd = new ArrayList<>(3 + tags.size() * 2);
        cmd.add("ZADD");
        cmd.add(key);
        cmd.add("XX");
        for (String t : tags) {
            cmd.add(score);
            cmd.add(t);
        }
        return cmd;
    }
}
