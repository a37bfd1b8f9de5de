package org.kombu4j.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.concurrent.locks.LockSupport;

/** What the JVM must look like before a timed section starts, for kombu4j and in-process peers alike. */
final class TimedSection {
    /** Below this initial heap a run also measures the JVM growing its heap; see {@link #prepareHeap}. */
    static final long SMALL_HEAP_BYTES = 1L << 30;

    private TimedSection() {
    }

    /**
     * Keeps the heap committed across rounds, and says on stderr when it starts small; once per process.
     *
     * <p>{@link #settle}'s full collection before each round would let G1 give the heap back down to
     * {@code MaxHeapFreeRatio}, and each round grew it again, page-faulting in hundreds of MB on the threads being
     * timed (seen: 660 MB → 56 MB between rounds, a third of the round's CPU in the kernel's fault path, half the
     * throughput). The flag is manageable, so it is set to 100 here, for whatever JVM options the bench was
     * started with.
     *
     * <p>A heap that starts small is grown the same way during the first rounds: on this machine's VM each 4 KB
     * page fault cost ~10 µs, and 1 KiB memory:// roundtrip rounds ran at 0.2–0.6 M msgs/s instead of 1.0–1.4 M
     * with {@code -Xms2g -XX:+UseTransparentHugePages}. {@code ./kombu4j bench} passes those; {@code java -jar}
     * users are told.
     */
    static void prepareHeap(PrintStream err) {
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).setVMOption("MaxHeapFreeRatio", "100");
        } catch (RuntimeException e) {
            // Not HotSpot, or the flag was fixed on the command line: rounds then pay for regrowing the heap.
        }
        long init = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getInit();
        if (init >= 0 && init < SMALL_HEAP_BYTES) {
            err.printf("[bench] note: the heap starts at %d MB, so rounds also measure the JVM growing it; "
                    + "run the JVM with -Xms2g (and -XX:+UseTransparentHugePages where THP is madvise), "
                    + "as ./kombu4j bench does%n", init >> 20);
        }
    }

    /**
     * Before a timed section, two things. A full collection, so that what earlier phases left (the pre-filled
     * queue: about 1.5 KB per message) sits in the old generation; otherwise every young collection during the
     * timed loop copies those live messages again, and the figure measures G1 promoting the fixture rather than
     * the messaging path. Then a wait (at most 3 s) until this process is quiet — under 10 ms of CPU in a 100 ms
     * window. Rounds alternate with in-process peers, and the JIT compiles a peer's code for a good while after
     * its round (seen: ~2,500 compilations during a Lettuce round, still running into kombu4j's next one on this
     * 2-core machine, which then used 3× the CPU of an undisturbed round); the wait keeps that out of the next
     * measurement, for kombu4j and peers alike.
     *
     * <p>{@link #prepareHeap} has made sure this collection does not give the heap back to the OS.
     */
    static void settle() {
        System.gc();
        long until = System.nanoTime() + 3_000_000_000L;
        long cpu = ProcessCpu.nanos();
        while (System.nanoTime() < until) {
            LockSupport.parkNanos(100_000_000L);
            long now = ProcessCpu.nanos();
            if (now - cpu < 10_000_000L) {
                return;
            }
            cpu = now;
        }
    }
}
