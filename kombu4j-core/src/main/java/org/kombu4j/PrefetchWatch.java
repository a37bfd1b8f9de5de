package org.kombu4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks once a second at the consumers that asked for the full-prefetch warning. A consumer holding its whole
 * prefetch receives nothing, so nothing on its own delivery path would ever notice: the check needs a clock of its
 * own. One daemon thread serves every consumer in the JVM, started by the first; consumers are held weakly, so one
 * never closed is not kept alive by this.
 */
final class PrefetchWatch {
    private static final Logger log = LoggerFactory.getLogger(PrefetchWatch.class);
    private static final Set<Consumer> consumers = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    private static ScheduledExecutorService timer;

    private PrefetchWatch() {}

    static synchronized void watch(Consumer consumer) {
        consumers.add(consumer);
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kombu4j-prefetch-watch");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleWithFixedDelay(PrefetchWatch::check, 1, 1, TimeUnit.SECONDS);
        }
    }

    private static void check() {
        List<Consumer> snapshot;
        synchronized (consumers) {
            snapshot = new ArrayList<>(consumers);
        }
        long now = System.nanoTime();
        for (Consumer c : snapshot) {
            if (c.isClosed()) {
                consumers.remove(c);
                continue;
            }
            try {
                c.checkPrefetch(now);
            } catch (RuntimeException e) {
                log.debug("prefetch check failed", e); // a diagnostic must never take the timer down
            }
        }
    }
}
