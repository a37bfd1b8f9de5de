package org.kombu4j.transport.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.kombu4j.Exchange;
import org.kombu4j.transport.virtual.ExchangeRouter;
import org.kombu4j.transport.virtual.StoredMessage;

/**
 * The state of one in-process broker (one per virtual host name): exchanges, bindings and queues.
 * Shared by every {@code memory://} connection in the JVM with the same virtual host, as a real
 * broker is shared by its clients; that is why the registry is static. Delayed messages wait on one
 * timer thread of the JVM, started on first use, and join their queue when due.
 */
final class MemoryBroker {
    private static final Map<String, MemoryBroker> BROKERS = new ConcurrentHashMap<>();
    private static volatile ScheduledThreadPoolExecutor timer;

    final Map<String, Exchange> exchanges = new ConcurrentHashMap<>();
    final Map<String, List<ExchangeRouter.Row>> bindings = new ConcurrentHashMap<>();
    final Map<String, MemoryQueue> queues = new ConcurrentHashMap<>();

    static MemoryBroker forVirtualHost(String vhost) {
        return BROKERS.computeIfAbsent(vhost, v -> new MemoryBroker());
    }

    /** Puts {@code m} into {@code queue} (if it still exists then) at {@code deliverAt} epoch ms, never before. */
    void putLater(String queue, StoredMessage m, long deliverAt) {
        long wait = deliverAt - System.currentTimeMillis();
        if (wait <= 0) {
            MemoryQueue q = queues.get(queue);
            if (q != null) {
                q.put(m, false);
            }
            return;
        }
        // The timer waits on the monotonic clock and the due time is wall-clock: checked again when it fires.
        timer().schedule(() -> putLater(queue, m, deliverAt), wait, TimeUnit.MILLISECONDS);
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = timer;
        if (t == null) {
            synchronized (MemoryBroker.class) {
                t = timer;
                if (t == null) {
                    t = new ScheduledThreadPoolExecutor(1, r -> {
                        Thread th = new Thread(r, "kombu4j-memory-timer");
                        th.setDaemon(true);
                        return th;
                    });
                    t.setRemoveOnCancelPolicy(true);
                    timer = t;
                }
            }
        }
        return t;
    }

    List<ExchangeRouter.Row> bindingsOf(String exchange) {
        return bindings.computeIfAbsent(exchange, e -> new CopyOnWriteArrayList<>());
    }

    /** Drops every binding to a queue (when the queue is deleted). */
    void unbindQueue(String queue) {
        for (List<ExchangeRouter.Row> rows : new ArrayList<>(bindings.values())) {
            rows.removeIf(r -> r.queue().equals(queue));
        }
    }
}
