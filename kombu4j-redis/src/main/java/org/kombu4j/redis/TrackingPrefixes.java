package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The {@code CLIENT TRACKING ... BCAST PREFIX} prefixes that cover a set of queue keys, and the
 * commands that track them. Pure functions: the {@link MultiChannelPoller} decides when to apply them.
 */
final class TrackingPrefixes {
    /**
     * Most BCAST prefixes tracked. Redis compares every written key with every BCAST prefix (and walks
     * them all before each event-loop sleep), so 10,000 prefixes would slow every write on the server;
     * beyond this many, queue keys are tracked by shared leading parts instead (see {@link #cover}).
     */
    static final int MAX_TRACKED_PREFIXES = 128;

    /** Most PREFIX arguments in one CLIENT TRACKING command, to keep each command a modest size. */
    private static final int PREFIXES_PER_COMMAND = 1000;

    private TrackingPrefixes() {
    }

    /**
     * The BCAST prefixes that cover {@code keys} (sorted): Redis refuses overlapping prefixes, so the
     * shortest of overlapping ones covers the others (sorted order puts it first). If that leaves
     * more than {@link #MAX_TRACKED_PREFIXES}, every key is cut to the longest length that leaves at
     * most that many: a coarser prefix also wakes us for keys we do not consume, which the channels
     * filter out exactly (only the cost of a push, never a wrong pop), while each write on the server
     * stays cheap. Never coarser than one character.
     */
    static Set<String> cover(Set<String> keys) {
        Set<String> exact = coverOf(keys, Integer.MAX_VALUE);
        if (exact.size() <= MAX_TRACKED_PREFIXES) {
            return exact;
        }
        int lo = 1;
        int hi = 0;
        for (String k : exact) {
            hi = Math.max(hi, k.length());
        }
        // The count of cover(L) grows with L: find the largest L whose cover is small enough.
        Set<String> best = coverOf(exact, 1);
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Set<String> c = coverOf(exact, mid);
            if (c.size() <= MAX_TRACKED_PREFIXES) {
                best = c;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    private static Set<String> coverOf(Set<String> keys, int maxLength) {
        Set<String> cut = new TreeSet<>();
        for (String k : keys) {
            cut.add(k.length() > maxLength ? k.substring(0, maxLength) : k);
        }
        Set<String> out = new TreeSet<>();
        @Nullable String last = null;
        for (String k : cut) {
            if (last != null && k.startsWith(last)) {
                continue;
            }
            out.add(k);
            last = k;
        }
        return out;
    }

    /**
     * The {@code CLIENT TRACKING on BCAST NOLOOP PREFIX ...} commands that add {@code prefixes}, at most
     * {@link #PREFIXES_PER_COMMAND} per command, handed to {@code send} in order.
     */
    static void trackingOn(Collection<String> prefixes, Consumer<List<Object>> send) {
        List<Object> cmd = null;
        int n = 0;
        for (String p : prefixes) {
            if (cmd == null) {
                cmd = new ArrayList<>(List.of("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"));
            }
            cmd.add("PREFIX");
            cmd.add(p);
            if (++n == PREFIXES_PER_COMMAND) {
                send.accept(cmd);
                cmd = null;
                n = 0;
            }
        }
        if (cmd != null) {
            send.accept(cmd);
        }
    }
}
