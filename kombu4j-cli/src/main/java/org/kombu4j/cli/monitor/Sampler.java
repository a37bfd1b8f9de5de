package org.kombu4j.cli.monitor;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.kombu4j.transport.QueueStats;

/**
 * Samples the broker every second on its own thread and keeps the last {@link #HISTORY} samples of every
 * queue. A failed sample marks the broker down, resets the source (so the next sample reconnects) and retries
 * with a bounded backoff (1, 2, 4, 8, then every {@link #MAX_BACKOFF_MS} ms); the HTTP server is unaffected.
 * A sample that takes longer than {@link #STUCK_MS} also counts as down while it lasts.
 */
public final class Sampler implements AutoCloseable {
    /** Samples kept per queue: five minutes at one per second. */
    public static final int HISTORY = 300;
    static final long MAX_BACKOFF_MS = 8_000;
    static final long STUCK_MS = 5_000;
    /** A queue not seen for this long loses its history (it was deleted). */
    static final long FORGET_MS = HISTORY * 1000L;

    /** Where the samples come from. */
    public interface Source {
        /** One reading of every queue; throws if the broker cannot be read. */
        List<QueueStats> sample();

        /** Drops a broken connection so that the next {@link #sample()} reconnects. */
        void reset();
    }

    /**
     * What the monitor knows at one moment.
     *
     * @param up whether the last sample succeeded (and the current one is not stuck)
     * @param error why not, on one line, or null
     * @param queues the last successful sample's queues (still shown, marked stale, while the broker is down)
     * @param sampledAt when those queues were read (epoch ms), 0 if never
     */
    public record Snapshot(long time, boolean up, @Nullable String error, List<QueueStats> queues, long sampledAt,
            long samples, long failures) {
    }

    /** One queue's recent samples, oldest first. */
    static final class History {
        final long[] time = new long[HISTORY];
        final double[] ready = new double[HISTORY];
        final double[] unacked = new double[HISTORY];
        final double[] publishRate = new double[HISTORY];
        final double[] deliverRate = new double[HISTORY];
        final double[] published = new double[HISTORY];
        final double[] delivered = new double[HISTORY];
        int start;
        int size;
        long lastSeen;

        void add(long t, QueueStats q) {
            int i = (start + size) % HISTORY;
            if (size == HISTORY) {
                start = (start + 1) % HISTORY;
            } else {
                size++;
            }
            time[i] = t;
            ready[i] = q.ready();
            unacked[i] = q.unacked() == null ? Double.NaN : q.unacked();
            publishRate[i] = q.publishRate() == null ? Double.NaN : q.publishRate();
            deliverRate[i] = q.deliverRate() == null ? Double.NaN : q.deliverRate();
            published[i] = q.published() == null ? Double.NaN : q.published();
            delivered[i] = q.delivered() == null ? Double.NaN : q.delivered();
            lastSeen = t;
        }

        /**
         * {@code q} (read at {@code t}) with its rates derived from the sample {@link #RATE_WINDOW} back (or the oldest
         * kept), where the broker does not measure them but kombu4j clients count (Redis, SQL): Δtotal/Δt of the
         * clients' totals, raised to what the change of the ready count shows when that is more than the counts
         * explain by over a quarter (someone who does not count, e.g. Python Kombu, published or consumed), or from
         * the ready count alone for a queue no kombu4j client counted (its rises and falls from sample to sample: at
         * least that many published and delivered). Null rates until there are two samples.
         */
        QueueStats derive(long t, QueueStats q) {
            if (q.ratesSource() != null || q.publishRate() != null || q.deliverRate() != null
                    || q.published() == null && !q.consumersLowerBound()) {
                return q;
            }
            if (size == 0) {
                return q;
            }
            int back = Math.min(size, RATE_WINDOW);
            int b = (start + size - back) % HISTORY;
            double dt = (t - time[b]) / 1000.0;
            if (dt <= 0) {
                return q;
            }
            double dr = q.ready() - ready[b];
            if (q.published() == null || Double.isNaN(published[b])) {
                // Each step's rise is at least that many published, each fall that many delivered (or purged).
                double up = 0;
                double down = 0;
                double prev = ready[b];
                for (int k = size - back + 1; k <= size; k++) {
                    double r = k == size ? q.ready() : ready[(start + k) % HISTORY];
                    up += Math.max(0, r - prev);
                    down += Math.max(0, prev - r);
                    prev = r;
                }
                return q.withRates(up / dt, down / dt, QueueStats.RatesSource.DEPTH);
            }
            // A total that went down was reset (its hash or table emptied): nothing counted since then is known.
            double dp = Math.max(0, q.published() - published[b]);
            double dd = Math.max(0, q.delivered() - delivered[b]);
            double excess = dr - (dp - dd);
            // Counts reach the broker about once a second, the depth at once: within this much they agree.
            double tolerance = Math.max(2, 0.25 * (dp + dd));
            if (excess > tolerance) {
                return q.withRates((dp + excess) / dt, dd / dt, QueueStats.RatesSource.CLIENTS_AND_DEPTH);
            }
            if (-excess > tolerance) {
                return q.withRates(dp / dt, (dd - excess) / dt, QueueStats.RatesSource.CLIENTS_AND_DEPTH);
            }
            return q.withRates(dp / dt, dd / dt, QueueStats.RatesSource.CLIENTS);
        }
    }

    /** Samples back over which clients' totals become rates: their flush (once a second) then shifts a rate by at most a fifth. */
    static final int RATE_WINDOW = 5;

    private final Source source;
    private final Clock clock;
    private final long intervalMs;
    private final Thread thread;
    private final Object lock = new Object();
    private final Map<String, History> history = new TreeMap<>();
    private volatile boolean closed;

    // Guarded by lock.
    private List<QueueStats> lastQueues = List.of();
    private long sampledAt;
    private boolean lastUp;
    private @Nullable String lastError = "not sampled yet";
    private long samples;
    private long failures;
    private long sampleStartedAt; // 0: not sampling now

    /** A sampler of {@code source} every {@code intervalMs}; {@link #start()} starts it. */
    public Sampler(Source source, Clock clock, long intervalMs) {
        this.source = source;
        this.clock = clock;
        this.intervalMs = intervalMs;
        this.thread = new Thread(this::run, "kombu4j-monitor-sampler");
        thread.setDaemon(true);
    }

    /**
     * Takes one sample on the calling thread, so the first page has data at once.
     *
     * @return null if it succeeded, else the failure
     */
    public @Nullable RuntimeException sampleOnce() {
        return sample();
    }

    /** Starts sampling in the background. */
    public void start() {
        thread.start();
    }

    private void run() {
        long backoff = 0;
        long next = clock.millis() + intervalMs;
        while (!closed) {
            long wait = next - clock.millis();
            if (wait > 0) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (closed) {
                return;
            }
            RuntimeException failed = sample();
            if (failed == null) {
                backoff = 0;
                // Fixed rate, not fixed delay: a slow broker stretches one interval, not all of them.
                next = Math.max(next + intervalMs, clock.millis());
            } else {
                backoff = backoff == 0 ? 1000 : Math.min(backoff * 2, MAX_BACKOFF_MS);
                next = clock.millis() + Math.max(backoff, intervalMs);
            }
        }
    }

    private @Nullable RuntimeException sample() {
        synchronized (lock) {
            sampleStartedAt = clock.millis();
        }
        List<QueueStats> queues;
        try {
            queues = source.sample();
        } catch (RuntimeException e) {
            synchronized (lock) {
                sampleStartedAt = 0;
                lastUp = false;
                lastError = describe(e);
                failures++;
            }
            try {
                source.reset();
            } catch (RuntimeException ignored) {
                // The reset of a broken connection may fail too; the next sample reconnects regardless.
            }
            return e;
        }
        long t = clock.millis();
        synchronized (lock) {
            sampleStartedAt = 0;
            sampledAt = t;
            lastUp = true;
            lastError = null;
            samples++;
            List<QueueStats> derived = new ArrayList<>(queues.size());
            for (QueueStats q : queues) {
                History h = history.computeIfAbsent(q.name(), n -> new History());
                QueueStats d = h.derive(t, q);
                h.add(t, d);
                derived.add(d);
            }
            lastQueues = List.copyOf(derived);
            for (Iterator<History> it = history.values().iterator(); it.hasNext(); ) {
                if (t - it.next().lastSeen > FORGET_MS) {
                    it.remove();
                }
            }
        }
        return null;
    }

    /** What is known now. */
    public Snapshot snapshot() {
        long now = clock.millis();
        synchronized (lock) {
            boolean up = lastUp;
            String error = lastError;
            if (sampleStartedAt != 0 && now - sampleStartedAt > STUCK_MS) {
                up = false;
                error = "the broker has not answered for " + (now - sampleStartedAt) / 1000 + " s";
            }
            return new Snapshot(now, up, error, lastQueues, sampledAt, samples, failures);
        }
    }

    /** Every queue's history as plain lists (for JSON): name → field → values, oldest first. */
    Map<String, Map<String, List<@Nullable Object>>> historyView() {
        Map<String, Map<String, List<@Nullable Object>>> out = new LinkedHashMap<>();
        synchronized (lock) {
            for (Map.Entry<String, History> e : history.entrySet()) {
                History h = e.getValue();
                Map<String, List<@Nullable Object>> m = new LinkedHashMap<>();
                List<@Nullable Object> t = new ArrayList<>(h.size);
                List<@Nullable Object> r = new ArrayList<>(h.size);
                List<@Nullable Object> u = new ArrayList<>(h.size);
                List<@Nullable Object> p = new ArrayList<>(h.size);
                List<@Nullable Object> d = new ArrayList<>(h.size);
                for (int k = 0; k < h.size; k++) {
                    int i = (h.start + k) % HISTORY;
                    t.add(h.time[i]);
                    r.add(num(h.ready[i]));
                    u.add(num(h.unacked[i]));
                    p.add(num(h.publishRate[i]));
                    d.add(num(h.deliverRate[i]));
                }
                m.put("t", t);
                m.put("ready", r);
                m.put("unacked", u);
                m.put("publish_rate", p);
                m.put("deliver_rate", d);
                out.put(e.getKey(), m);
            }
        }
        return out;
    }

    private static @Nullable Object num(double v) {
        return Double.isNaN(v) ? null : v == Math.rint(v) && Math.abs(v) < 1e15 ? (Object) (long) v : (Object) v;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getClass().getSimpleName();
        }
        return m.replaceAll("[\\s\\p{Cntrl}]+", " ").strip();
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
