package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RespError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the event connection is subscribed to, and the commands that change it: {@code CLIENT TRACKING}
 * prefixes covering every queue consumed from lists (see {@link TrackingPrefixes}), and pattern
 * subscriptions for every fanout exchange consumed. Event-thread state of the {@link MultiChannelPoller}.
 */
final class EventSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(EventSubscriptions.class);
    private static final String FANOUT_PATTERN_SUFFIX = "/*";

    private final Keys keys;
    private final Set<String> trackedPrefixes = new TreeSet<>();
    /** Subscribed pattern → the fanout exchange it carries. */
    private final Map<String, String> subscribedPatterns = new HashMap<>();

    EventSubscriptions(Keys keys) {
        this.keys = keys;
    }

    /**
     * Subscribes {@code ev} to exactly what {@code channels} consume.
     *
     * @return whether tracking was switched off and on: pushes in that gap raised no wake-up, so every
     *     channel must visit all of its queues
     */
    boolean sync(RedisConnection ev, List<RedisChannel> channels, @Nullable ClusterNodeLink link, RedisTransport self) {
        Set<String> wantedKeys = new TreeSet<>();
        Set<String> delayedKeys = new TreeSet<>();
        Map<String, String> wantedPatterns = new HashMap<>();
        for (RedisChannel ch : channels) {
            for (String q : ch.consumedListQueues()) {
                wantedKeys.add(keys.queue(q, 0));
                delayedKeys.add(keys.delayed(q)); // a new earliest delayed message wakes the DelayedMover
            }
            for (String ex : ch.fanoutExchanges()) {
                String base = Keys.escapeGlob(keys.fanoutChannel(ex));
                wantedPatterns.put(base, ex);
                wantedPatterns.put(base + FANOUT_PATTERN_SUFFIX, ex);
            }
        }
        // Many queues: one prefix for every delayed set (the mover filters by queue), so the delayed sets
        // do not eat the prefix budget of the queue keys.
        if (delayedKeys.size() > TrackingPrefixes.MAX_TRACKED_PREFIXES / 4) {
            wantedKeys.add(keys.delayedPrefix());
        } else {
            wantedKeys.addAll(delayedKeys);
        }
        boolean rebuilt = syncTracking(ev, TrackingPrefixes.cover(wantedKeys), link, self);
        syncPatterns(ev, wantedPatterns);
        return rebuilt;
    }

    /** The prefixes tracked now (event thread). */
    Set<String> trackedPrefixes() {
        return trackedPrefixes;
    }

    /** The fanout exchange whose messages a subscribed {@code pattern} carries, or null. */
    @Nullable String exchangeOf(String pattern) {
        return subscribedPatterns.get(pattern);
    }

    /** Tracks exactly {@code prefixes}; returns whether tracking was switched off and on (a gap with no wake-ups). */
    private boolean syncTracking(RedisConnection ev, Set<String> prefixes, @Nullable ClusterNodeLink link, RedisTransport self) {
        if (prefixes.equals(trackedPrefixes)) {
            return false;
        }
        boolean rebuilt = false;
        if (prefixes.containsAll(trackedPrefixes)) {
            // Only additions: CLIENT TRACKING on again adds prefixes to the ones tracked (Redis >= 6.2),
            // without the off/on gap, so only the new queues need a pop. Both sets are overlap-free
            // by construction, so Redis accepts them.
            List<String> newPrefixes = new ArrayList<>();
            for (String p : prefixes) {
                if (!trackedPrefixes.contains(p)) {
                    newPrefixes.add(p);
                }
            }
            TrackingPrefixes.trackingOn(newPrefixes, cmd -> ev.send(cmd, r -> logError(r, "CLIENT TRACKING on")));
        } else {
            // A prefix went away (or a shorter one replaced it): off, then on with the whole set.
            // Pushes in the gap raise no wake-up, so every channel sweeps afterwards.
            if (!trackedPrefixes.isEmpty()) {
                ev.send(List.of("CLIENT", "TRACKING", "off"), r -> logError(r, "CLIENT TRACKING off"));
            }
            Set<String> all = prefixes;
            if (link != null) {
                // A connection shared by several namespaces (layout=queue): off dropped the others' prefixes
                // too, so track them again, and have them sweep their queues for pushes in the gap.
                all = new TreeSet<>(prefixes);
                for (RedisTransport m : link.members()) {
                    if (m != self) {
                        all.addAll(m.poller().trackedPrefixes());
                        m.poller().post(() -> {
                            for (RedisChannel ch : m.channels()) {
                                ch.popper().requestSweep();
                            }
                        });
                    }
                }
            }
            if (!all.isEmpty()) {
                TrackingPrefixes.trackingOn(all, cmd -> ev.send(cmd, r -> logError(r, "CLIENT TRACKING on")));
            }
            rebuilt = true;
        }
        trackedPrefixes.clear();
        trackedPrefixes.addAll(prefixes);
        return rebuilt;
    }

    /** Subscribes to exactly {@code wanted} (pattern → fanout exchange). */
    private void syncPatterns(RedisConnection ev, Map<String, String> wanted) {
        List<Object> add = new ArrayList<>(List.of("PSUBSCRIBE"));
        for (String p : wanted.keySet()) {
            if (!subscribedPatterns.containsKey(p)) {
                add.add(p);
            }
        }
        // PUNSUBSCRIBE, not UNSUBSCRIBE: Kombu's mismatch leaves patterns subscribed (§12.10).
        List<Object> remove = new ArrayList<>(List.of("PUNSUBSCRIBE"));
        for (String p : subscribedPatterns.keySet()) {
            if (!wanted.containsKey(p)) {
                remove.add(p);
            }
        }
        if (add.size() > 1) {
            ev.sendWithoutReply(add);
        }
        if (remove.size() > 1) {
            ev.sendWithoutReply(remove);
        }
        subscribedPatterns.clear();
        subscribedPatterns.putAll(wanted);
    }

    private static void logError(@Nullable Object reply, String what) {
        if (reply instanceof RespError) {
            log.warn("Redis refused {}: {}", what, ((RespError) reply).message());
        }
    }
}
