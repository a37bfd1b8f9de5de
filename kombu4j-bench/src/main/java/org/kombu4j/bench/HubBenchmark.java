package org.kombu4j.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.Timer;
import org.kombu4j.hub.TimerEntry;

/**
 * Micro-benchmark of the hub, a plain {@code main}. Prints one JSON
 * object per measurement on stdout:
 *
 * <ul>
 *   <li>{@code hub.callSoon}: callbacks posted from one other thread into a running hub and run by
 *       it, per second (at most 1,000,000 in flight so that the queue cannot grow without bound);
 *   <li>{@code hub.callLater+cancel}: {@code callLater} followed by {@code cancel()} on the loop
 *       thread, in batches of 1,000, pairs per second;
 *   <li>{@code timer.schedule+cancel}: the same on a standalone {@link Timer}.
 * </ul>
 *
 * Each measurement runs ~2 s after ~1 s of warm-up. Run from the repository root:
 *
 * <pre>{@code
 * mvn -q -B -pl kombu4j-bench -am package -DskipTests
 * java -cp kombu4j-bench/target/kombu4j-bench-0.1.0-SNAPSHOT-all.jar org.kombu4j.bench.HubBenchmark
 * }</pre>
 */
public final class HubBenchmark {
    private static final long WARMUP_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MEASURE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final int BATCH = 1_000;

    private HubBenchmark() {}

    public static void main(String[] args) throws Exception {
        try (Hub hub = new Hub()) {
            Thread loop = new Thread(hub::runForever, "hub-benchmark-loop");
            loop.start();
            callSoon(hub, WARMUP_NANOS, false);
            callSoon(hub, MEASURE_NANOS, true);
            callLaterCancel(hub, WARMUP_NANOS, false);
            callLaterCancel(hub, MEASURE_NANOS, true);
            hub.stop();
            loop.join();
        }
        Timer timer = new Timer();
        timerScheduleCancel(timer, WARMUP_NANOS, false);
        timerScheduleCancel(timer, MEASURE_NANOS, true);
    }

    private static void callSoon(Hub hub, long forNanos, boolean report) throws Exception {
        AtomicLong ran = new AtomicLong();
        Runnable task = ran::incrementAndGet; // one instance: measure the hub, not lambda allocation
        long posted = 0;
        long start = System.nanoTime();
        long end = start + forNanos;
        while (System.nanoTime() - end < 0) {
            for (int i = 0; i < BATCH; i++) {
                hub.callSoon(task);
            }
            posted += BATCH;
            while (posted - ran.get() > 1_000_000) {
                Thread.onSpinWait();
            }
        }
        CompletableFuture<Void> drained = new CompletableFuture<>();
        hub.callSoon(() -> drained.complete(null));
        drained.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (report) {
            print("hub.callSoon", ran.get(), seconds);
        }
    }

    private static void callLaterCancel(Hub hub, long forNanos, boolean report) throws Exception {
        CompletableFuture<long[]> result = new CompletableFuture<>();
        Runnable never = () -> { };
        hub.callSoon(() -> {
            TimerEntry[] entries = new TimerEntry[BATCH];
            long ops = 0;
            long start = System.nanoTime();
            long end = start + forNanos;
            while (System.nanoTime() - end < 0) {
                for (int i = 0; i < BATCH; i++) {
                    entries[i] = hub.callLater(Duration.ofMillis(1_000 + i), never);
                }
                for (int i = 0; i < BATCH; i++) {
                    entries[i].cancel();
                }
                ops += BATCH;
            }
            result.complete(new long[] {ops, System.nanoTime() - start});
        });
        long[] r = result.get();
        if (report) {
            print("hub.callLater+cancel", r[0], r[1] / 1e9);
        }
    }

    private static void timerScheduleCancel(Timer timer, long forNanos, boolean report) {
        TimerEntry[] entries = new TimerEntry[BATCH];
        Runnable never = () -> { };
        long ops = 0;
        long start = System.nanoTime();
        long end = start + forNanos;
        while (System.nanoTime() - end < 0) {
            long now = timer.ticker().nanoTime();
            for (int i = 0; i < BATCH; i++) {
                entries[i] = timer.schedule(now + 1_000_000_000L + i, never);
            }
            for (int i = 0; i < BATCH; i++) {
                entries[i].cancel();
            }
            ops += BATCH;
        }
        if (report) {
            print("timer.schedule+cancel", ops, (System.nanoTime() - start) / 1e9);
        }
    }

    private static void print(String bench, long ops, double seconds) {
        System.out.println(String.format(Locale.ROOT,
                "{\"system\":\"kombu4j\",\"bench\":\"%s\",\"ops\":%d,\"seconds\":%.3f,\"ops_per_s\":%.0f}",
                bench, ops, seconds, ops / seconds));
    }
}
