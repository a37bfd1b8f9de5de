package org.kombu4j.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Hub;
import org.kombu4j.testkit.FakeClock;

class EventInboxTest {
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final AtomicInteger wakeUps = new AtomicInteger();
    private final EventInbox inbox = new EventInbox(clock, wakeUps::incrementAndGet);
    private final List<String> ran = new CopyOnWriteArrayList<>();

    @Test
    void runsWhatWasQueuedInOrderAndLeavesLaterPostsForTheNextRun() {
        inbox.post(() -> ran.add("a"));
        inbox.post(() -> {
            ran.add("b");
            inbox.post(() -> ran.add("posted while running"));
        });

        assertThat(inbox.runPending()).isEqualTo(2);
        assertThat(ran).containsExactly("a", "b");
        assertThat(wakeUps).hasValue(3);

        assertThat(inbox.runPending()).isEqualTo(1);
        assertThat(ran).containsExactly("a", "b", "posted while running");
        assertThat(inbox.runPending()).isZero();
    }

    @Test
    void aTaskThatThrowsEndsTheRunAndTheRestStayQueued() {
        IllegalStateException boom = new IllegalStateException("boom");
        inbox.post(() -> {
            throw boom;
        });
        inbox.post(() -> ran.add("after"));

        assertThatThrownBy(inbox::runPending).isSameAs(boom);
        assertThat(ran).isEmpty();
        assertThat(inbox.runPending()).isEqualTo(1);
        assertThat(ran).containsExactly("after");
    }

    @Test
    void discardPendingDropsQueuedTasks() {
        inbox.post(() -> ran.add("dropped"));
        inbox.discardPending();
        assertThat(inbox.runPending()).isZero();
        assertThat(ran).isEmpty();
    }

    @Test
    void awaitEndsAtTheTickerDeadlineWithoutBlocking() {
        long deadline = inbox.deadlineAfter(Duration.ofSeconds(30));
        clock.advance(Duration.ofSeconds(30));
        // Ends at once although 30 s of real time have not passed: the ticker decides.
        assertThat(inbox.await(deadline)).isFalse();
        assertThat(inbox.await(inbox.deadlineAfter(Duration.ofSeconds(-1)))).isFalse();
    }

    @Test
    void awaitReturnsAtOnceWhenATaskIsQueuedAndAWakeUpCountsOnce() {
        inbox.post(() -> { });
        assertThat(inbox.await(inbox.deadlineAfter(Duration.ZERO))).isTrue();
        inbox.runPending();

        inbox.wake();
        assertThat(inbox.await(inbox.deadlineAfter(Duration.ZERO))).isTrue();
        assertThat(inbox.await(inbox.deadlineAfter(Duration.ZERO))).isFalse();
        assertThat(wakeUps).hasValue(2);
    }

    @Test
    void aPostFromAnotherThreadEndsAWait() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicBoolean got = new AtomicBoolean();
        Thread drainer = new Thread(() -> {
            waiting.countDown();
            // The fake clock never moves: only the post can end this wait.
            got.set(inbox.await(inbox.deadlineAfter(Duration.ofDays(1))));
        });
        drainer.start();
        waiting.await();
        inbox.post(() -> ran.add("x"));
        drainer.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(drainer.isAlive()).isFalse();
        assertThat(got).isTrue();
    }

    @Test
    void anInterruptedWaitThrowsAndKeepsTheFlag() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> inbox.await(inbox.deadlineAfter(Duration.ofDays(1))))
                    .isInstanceOf(OperationalException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void theDrainingThreadIsTheEventThreadBetweenEnterAndExit() throws Exception {
        assertThat(inbox.inEventThread()).isFalse();
        inbox.enterDrain();
        assertThat(inbox.inEventThread()).isTrue();
        AtomicBoolean other = new AtomicBoolean(true);
        Thread t = new Thread(() -> other.set(inbox.inEventThread()));
        t.start();
        t.join();
        assertThat(other).isFalse();
        inbox.exitDrain();
        assertThat(inbox.inEventThread()).isFalse();
    }

    @Test
    void movingToAHubSendsQueuedTasksFirstThenEveryPost() {
        try (Hub hub = new Hub(clock)) {
            inbox.post(() -> ran.add("queued"));
            inbox.moveTo(hub);
            assertThat(inbox.onHub()).isTrue();
            assertThat(inbox.hub()).isSameAs(hub);
            int wakeUpsBefore = wakeUps.get();
            inbox.post(() -> ran.add("posted on hub " + inbox.inEventThread()));

            assertThat(inbox.runPending()).isZero();
            hub.runOnce(Duration.ZERO);

            assertThat(ran).containsExactly("queued", "posted on hub true");
            assertThat(wakeUps).hasValue(wakeUpsBefore);
            assertThat(inbox.inEventThread()).isFalse();
        }
    }

    @Test
    void theFirstRecordedFailureIsThrownUnchangedOnceAndLaterOnesAreOnlyLogged() {
        IllegalStateException first = new IllegalStateException("first");
        inbox.recordFailure(first);
        inbox.recordFailure(new AssertionError("second, logged"));
        assertThat(inbox.hasRecordedFailure()).isTrue();

        assertThatThrownBy(inbox::throwRecordedFailure).isSameAs(first);
        assertThat(inbox.hasRecordedFailure()).isFalse();
        inbox.throwRecordedFailure(); // nothing left
    }

    @Test
    void onAHubAFailureRecordedByATaskLeavesWithThatTask() {
        try (Hub hub = new Hub(clock)) {
            inbox.moveTo(hub);
            inbox.post(() -> inbox.recordFailure(new IllegalStateException("handler")));
            inbox.post(() -> ran.add("next " + inbox.hasRecordedFailure()));
            hub.runOnce(Duration.ZERO); // the Hub logs what its callback threw

            assertThat(ran).containsExactly("next false");
        }
    }
}
