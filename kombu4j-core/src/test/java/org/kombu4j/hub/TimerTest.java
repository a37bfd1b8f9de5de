package org.kombu4j.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;

class TimerTest {
    private final FakeTicker ticker = new FakeTicker(1_000L);
    private final Timer timer = new Timer(ticker);
    private final List<String> fired = new ArrayList<>();

    @Test
    void firesInDeadlineOrderWithTiesInSchedulingOrderAndNeverEarly() {
        timer.schedule(1_030, () -> fired.add("c30"));
        timer.schedule(1_010, () -> fired.add("a10"));
        timer.schedule(1_020, () -> fired.add("b20-first"));
        timer.schedule(1_020, () -> fired.add("b20-second"));

        assertThat(timer.runDue(1_009)).isZero();
        assertThat(timer.nanosUntilNext(1_009)).isEqualTo(1);
        assertThat(timer.runDue(1_010)).isEqualTo(1);
        assertThat(timer.runDue(1_029)).isEqualTo(2);
        assertThat(fired).containsExactly("a10", "b20-first", "b20-second");
        assertThat(timer.runDue(1_030)).isEqualTo(1);
        assertThat(fired).endsWith("c30");
        assertThat(timer.nanosUntilNext(2_000)).isEqualTo(Timer.NOTHING_SCHEDULED);
    }

    @Test
    void overduePastDeadlineReportsZeroWait() {
        timer.schedule(500, () -> fired.add("late"));
        assertThat(timer.nanosUntilNext(1_000)).isZero();
        timer.runDue();
        assertThat(fired).containsExactly("late");
    }

    @Test
    void cancelledEntriesNeverFireAndAreReleased() {
        int n = 1_000_000;
        List<TimerEntry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            entries.add(timer.schedule(2_000 + i, () -> fired.add("x")));
        }
        TimerEntry keep = timer.schedule(5_000_000, () -> fired.add("kept"));
        assertThat(timer.size()).isEqualTo(n + 1);
        for (TimerEntry e : entries) {
            e.cancel();
            e.cancel(); // idempotent
        }
        assertThat(entries).allMatch(TimerEntry::isCancelled);
        assertThat(timer.size()).isEqualTo(1);
        // Lazily deleted, but purged whenever cancelled entries are the majority.
        assertThat(timer.heapSize()).isLessThanOrEqualTo(3);
        timer.runDue(Long.MAX_VALUE >> 1);
        assertThat(fired).containsExactly("kept");
        assertThat(keep.isCancelled()).isFalse();
        assertThat(timer.heapSize()).isZero();
    }

    @Test
    void cancellingTheEarliestEntryDoesNotShortenTheWait() {
        TimerEntry first = timer.schedule(1_100, () -> fired.add("first"));
        timer.schedule(1_500, () -> fired.add("second"));
        for (int i = 0; i < 10; i++) {
            timer.schedule(10_000, () -> { });
        }
        first.cancel();
        assertThat(timer.nanosUntilNext(1_000)).isEqualTo(500);
    }

    @Test
    void fixedRateKeepsItsPhaseAndSkipsMissedRuns() {
        List<Long> at = new ArrayList<>();
        timer.scheduleAtFixedRate(100, 100, () -> at.add(ticker.nanoTime()));
        long[] nows = {105, 199, 200, 350, 399, 400, 730, 730, 799, 800};
        for (long now : nows) {
            ticker.set(now);
            timer.runDue();
        }
        // Deadlines 100, 200, 300, 400, 500 (run at 730; 600 and 700 skipped), 800.
        assertThat(at).containsExactly(105L, 200L, 350L, 400L, 730L, 800L);
    }

    @Test
    void entriesScheduledByCallbacksWaitForTheNextCall() {
        Runnable[] self = new Runnable[1];
        self[0] = () -> {
            fired.add("tick");
            timer.schedule(0, self[0]);
        };
        timer.schedule(0, self[0]);
        assertThat(timer.runDue(1_000)).isEqualTo(1);
        assertThat(timer.runDue(1_000)).isEqualTo(1);
        assertThat(fired).hasSize(2);
    }

    @Test
    void aThrowingCallbackDoesNotStopTheOthers() {
        timer.schedule(1, () -> {
            throw new IllegalStateException("boom (expected by the test)");
        });
        timer.schedule(2, () -> fired.add("after"));
        assertThat(timer.runDue(10)).isEqualTo(2);
        assertThat(fired).containsExactly("after");
    }

    @Test
    void repeatingEntryCancelledFromItsOwnCallbackStops() {
        TimerEntry[] entry = new TimerEntry[1];
        entry[0] = timer.scheduleAtFixedRate(10, 10, () -> {
            fired.add("run");
            entry[0].cancel();
        });
        timer.runDue(10);
        timer.runDue(20);
        assertThat(fired).containsExactly("run");
        assertThat(timer.size()).isZero();
    }

    @Test
    void clearCancelsEverything() {
        TimerEntry a = timer.schedule(10, () -> fired.add("a"));
        timer.clear();
        assertThat(a.isCancelled()).isTrue();
        assertThat(timer.size()).isZero();
        timer.runDue(100);
        assertThat(fired).isEmpty();
    }

    @Test
    void rejectsNonPositivePeriod() {
        assertThatThrownBy(() -> timer.scheduleAtFixedRate(0, 0, () -> { }))
                .isInstanceOf(ConfigurationException.class);
    }
}
