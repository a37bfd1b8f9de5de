package org.kombu4j.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientStatsTest {
    private static final long T0 = 1_000_000;

    /** Adds up what was written per queue; fails the next write when asked. */
    private static final class Totals implements ClientStats.Sink {
        final Map<String, long[]> totals = new HashMap<>();
        final List<Map<String, Integer>> consumerRecords = new ArrayList<>();
        boolean failNext;

        @Override
        public void write(Map<String, long[]> counts, Map<String, Integer> consumers, String id, long expiresAtMillis) {
            if (failNext) {
                failNext = false;
                throw new IllegalStateException("broker down");
            }
            counts.forEach((q, n) -> {
                long[] t = totals.computeIfAbsent(q, k -> new long[2]);
                t[0] += n[0];
                t[1] += n[1];
            });
            if (consumers != null) {
                consumerRecords.add(consumers);
            }
        }

        long published(String q) {
            long[] t = totals.get(q);
            return t == null ? 0 : t[0];
        }
    }

    /** Stats whose timer never runs (closed before the first count), so a test decides when and at what time it flushes. */
    private static ClientStats manual(ClientStats.Sink sink, Map<String, Integer> consumers) {
        ClientStats stats = new ClientStats(sink, into -> into.putAll(consumers));
        stats.close();
        return stats;
    }

    @Test
    void queuesTouchedOnceAreForgottenAfterTheIdlePeriodOnceFlushed() {
        Totals sink = new Totals();
        ClientStats stats = manual(sink, Map.of());
        for (int i = 0; i < 10_000; i++) {
            stats.published("reply-" + i);
        }
        sink.failNext = true;
        assertThatThrownBy(() -> stats.flush(T0, false)).hasMessage("broker down");
        // Unwritten counts keep their cells, however long idle.
        stats.flush(T0 + 10 * ClientStats.FORGET_IDLE_MS, false);
        assertThat(sink.published("reply-9999")).isEqualTo(1);
        assertThat(stats.queuesCounted()).isEqualTo(10_000);
        long written = T0 + 10 * ClientStats.FORGET_IDLE_MS;
        stats.flush(written + ClientStats.FORGET_IDLE_MS - 1, false);
        assertThat(stats.queuesCounted()).isEqualTo(10_000);
        stats.flush(written + ClientStats.FORGET_IDLE_MS, false);
        assertThat(stats.queuesCounted()).isZero();
        assertThat(sink.totals).hasSize(10_000).allSatisfy((q, n) -> assertThat(n).containsExactly(1, 0));
    }

    @Test
    void aQueueStillCountingOrConsumedIsKept() {
        Totals sink = new Totals();
        ClientStats stats = manual(sink, Map.of("consumed", 1));
        stats.published("busy");
        stats.delivered("consumed");
        stats.flush(T0, false);
        for (long t = T0 + 1000; t <= T0 + 3 * ClientStats.FORGET_IDLE_MS; t += 1000) {
            stats.published("busy");
            stats.flush(t, false);
        }
        assertThat(stats.queuesCounted()).isEqualTo(2);
        assertThat(sink.published("busy")).isEqualTo(1 + 3 * ClientStats.FORGET_IDLE_MS / 1000);
    }

    @Test
    void aCountOnACellJustForgottenIsWrittenNotLost() {
        Totals sink = new Totals();
        ClientStats stats = manual(sink, Map.of());
        stats.published("q");
        ClientStats.Cell held = stats.cell("q"); // a counter looked the cell up...
        stats.flush(T0, false);
        stats.flush(T0 + ClientStats.FORGET_IDLE_MS, false); // ...the flusher forgot it...
        assertThat(stats.queuesCounted()).isZero();
        held.addPublished(2); // ...and the counter adds to it
        stats.published("q"); // a new cell for the same queue
        sink.failNext = true;
        assertThatThrownBy(() -> stats.flush(T0 + ClientStats.FORGET_IDLE_MS + 1000, false)).hasMessage("broker down");
        stats.flush(T0 + ClientStats.FORGET_IDLE_MS + 2000, false);
        assertThat(sink.published("q")).isEqualTo(4);
        stats.flush(T0 + ClientStats.FORGET_IDLE_MS + 3000, false);
        assertThat(sink.published("q")).isEqualTo(4);
    }
}
