package org.kombu4j.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.kombu4j.ClosedException;
import org.kombu4j.ConfigurationException;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class HubTest {
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(cleanup);
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private Hub hub(Ticker ticker) {
        Hub hub = new Hub(ticker);
        cleanup.add(hub);
        return hub;
    }

    private Pipe pipe() throws IOException {
        Pipe pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        pipe.sink().configureBlocking(false);
        cleanup.add(pipe.source());
        cleanup.add(pipe.sink());
        return pipe;
    }

    private Thread runInBackground(Hub hub) {
        Thread loop = new Thread(hub::runForever, "hub-test-loop");
        loop.setDaemon(true);
        loop.start();
        return loop;
    }

    @Test
    void timersFireInDeadlineOrderAndNeverEarly() {
        FakeTicker ticker = new FakeTicker(5_000);
        Hub hub = hub(ticker);
        List<String> fired = new ArrayList<>();
        hub.callAt(5_300, () -> fired.add("c"));
        hub.callLater(Duration.ofNanos(100), () -> fired.add("a"));
        hub.callAt(5_200, () -> fired.add("b1"));
        hub.callAt(5_200, () -> fired.add("b2"));

        hub.runOnce(Duration.ZERO);
        assertThat(fired).isEmpty();
        ticker.set(5_099);
        hub.runOnce(Duration.ZERO);
        assertThat(fired).isEmpty();
        ticker.set(5_250);
        hub.runOnce(Duration.ZERO);
        assertThat(fired).containsExactly("a", "b1", "b2");
        ticker.set(5_299);
        hub.runOnce(Duration.ZERO);
        assertThat(fired).hasSize(3);
        ticker.set(5_300);
        hub.runOnce(Duration.ZERO);
        assertThat(fired).containsExactly("a", "b1", "b2", "c");
    }

    @Test
    void cancelledTimersNeverFire() {
        FakeTicker ticker = new FakeTicker();
        Hub hub = hub(ticker);
        AtomicInteger fired = new AtomicInteger();
        TimerEntry entry = hub.callLater(Duration.ofSeconds(1), fired::incrementAndGet);
        entry.cancel();
        ticker.advance(Duration.ofSeconds(2));
        hub.runOnce(Duration.ZERO);
        assertThat(fired).hasValue(0);
        assertThat(entry.isCancelled()).isTrue();
    }

    @Test
    void callRepeatedlyKeepsItsPeriodWithoutDrift() {
        FakeTicker ticker = new FakeTicker(1_000_000_000L);
        Hub hub = hub(ticker);
        long start = ticker.nanoTime();
        long period = Duration.ofMillis(100).toNanos();
        List<Long> runs = new ArrayList<>();
        hub.callRepeatedly(Duration.ofMillis(100), () -> runs.add(ticker.nanoTime()));
        // Advance irregularly; each run k must happen once its deadline start + k*period passes.
        long[] offsetsMs = {99, 101, 150, 199, 200, 333, 401, 402, 499, 555, 610, 699};
        int expectedRuns = 0;
        for (long ms : offsetsMs) {
            ticker.set(start + Duration.ofMillis(ms).toNanos());
            hub.runOnce(Duration.ZERO);
            expectedRuns = (int) (Duration.ofMillis(ms).toNanos() / period);
            assertThat(runs).as("runs after %d ms", ms).hasSize(expectedRuns);
        }
        for (int k = 0; k < runs.size(); k++) {
            long deadline = start + (k + 1) * period;
            long runAt = runs.get(k);
            assertThat(runAt).isGreaterThanOrEqualTo(deadline).isLessThan(deadline + period);
        }
        assertThat(expectedRuns).isEqualTo(6);
    }

    @Test
    void callRepeatedlySkipsMissedRunsInsteadOfBursting() {
        FakeTicker ticker = new FakeTicker();
        Hub hub = hub(ticker);
        AtomicInteger runs = new AtomicInteger();
        hub.callRepeatedly(Duration.ofMillis(10), runs::incrementAndGet);
        ticker.advance(Duration.ofMillis(55)); // deadlines 10..50 passed
        for (int i = 0; i < 5; i++) {
            hub.runOnce(Duration.ZERO);
        }
        assertThat(runs).hasValue(1);
        ticker.advance(Duration.ofMillis(4)); // 59 ms: the next deadline is 60
        hub.runOnce(Duration.ZERO);
        assertThat(runs).hasValue(1);
        ticker.advance(Duration.ofMillis(1));
        hub.runOnce(Duration.ZERO);
        assertThat(runs).hasValue(2);
    }

    @Test
    void callSoonFromManyThreadsRunsEveryCallExactlyOnceOnTheLoopThread() throws Exception {
        Hub hub = hub(Ticker.system());
        int threads = 8;
        int perThread = 10_000;
        AtomicIntegerArray runs = new AtomicIntegerArray(threads * perThread);
        AtomicInteger offThread = new AtomicInteger();
        AtomicInteger total = new AtomicInteger();
        CountDownLatch allRan = new CountDownLatch(1);
        Thread loop = runInBackground(hub);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * perThread;
            Thread producer = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    int id = base + i;
                    hub.callSoon(() -> {
                        runs.incrementAndGet(id);
                        if (Thread.currentThread() != loop || !hub.inHubThread()) {
                            offThread.incrementAndGet();
                        }
                        if (total.incrementAndGet() == threads * perThread) {
                            allRan.countDown();
                        }
                    });
                }
            });
            producer.start();
            producers.add(producer);
        }
        go.countDown();
        for (Thread producer : producers) {
            producer.join();
        }
        assertThat(allRan.await(5, TimeUnit.SECONDS)).isTrue();
        hub.stop();
        loop.join(1_000);
        assertThat(loop.isAlive()).isFalse();
        for (int i = 0; i < runs.length(); i++) {
            assertThat(runs.get(i)).as("call %d", i).isEqualTo(1);
        }
        assertThat(offThread).hasValue(0);
    }

    @Test
    void callSoonRunsInPostingOrder() {
        Hub hub = hub(new FakeTicker());
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int n = i;
            hub.callSoon(() -> order.add(n));
        }
        hub.runOnce(Duration.ZERO);
        assertThat(order).hasSize(100).isSorted();
    }

    @Test
    void aThrowingCallbackDoesNotStopTheLoop() throws Exception {
        Hub hub = hub(Ticker.system());
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(4);
        Runnable bad = () -> {
            throw new IllegalStateException("bad callback (expected by the test)");
        };
        hub.callSoon(bad);
        hub.callSoon(() -> { ran.add("soon"); done.countDown(); });
        hub.callLater(Duration.ZERO, bad);
        hub.callLater(Duration.ZERO, () -> { ran.add("timer"); done.countDown(); });
        Runnable untick = hub.onTick(bad);
        AtomicInteger ticks = new AtomicInteger();
        Runnable untick2 = hub.onTick(() -> {
            if (ticks.incrementAndGet() == 1) {
                ran.add("tick");
                done.countDown();
            }
        });
        Thread loop = runInBackground(hub);
        hub.callSoon(() -> { ran.add("later"); done.countDown(); });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        untick.run();
        untick2.run();
        hub.stop();
        loop.join(1_000);
        assertThat(ran).contains("soon", "timer", "tick", "later");
    }

    @Test
    void aSelfRepostingCallbackDoesNotStarveIo() throws Exception {
        Hub hub = hub(new FakeTicker());
        Pipe pipe = pipe();
        AtomicInteger reposts = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        Runnable[] again = new Runnable[1];
        again[0] = () -> {
            reposts.incrementAndGet();
            hub.callSoon(again[0]);
        };
        hub.callSoon(again[0]);
        hub.addReader(pipe.source(), () -> {
            reads.incrementAndGet();
            drain(pipe.source());
        });
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        for (int i = 0; i < 3; i++) {
            hub.runOnce(Duration.ofSeconds(1));
        }
        assertThat(reposts).hasValue(3);
        assertThat(reads).hasValue(1);
    }

    @Test
    void stopFromAnotherThreadReturnsRunForeverPromptly() throws Exception {
        Hub hub = hub(Ticker.system());
        hub.callLater(Duration.ofSeconds(30), () -> { });
        CountDownLatch started = new CountDownLatch(1);
        hub.callSoon(started::countDown);
        Thread loop = runInBackground(hub);
        assertThat(started.await(2, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(50); // let it block in select
        long t0 = System.nanoTime();
        new Thread(hub::stop).start();
        loop.join(1_000);
        assertThat(loop.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        assertThat(hub.isClosed()).isFalse();
    }

    @Test
    void readinessIsDispatchedToReaderAndWriter() throws Exception {
        Hub hub = hub(Ticker.system());
        Pipe pipe = pipe();
        List<Byte> received = new ArrayList<>();
        hub.addReader(pipe.source(), () -> {
            ByteBuffer buf = ByteBuffer.allocate(16);
            try {
                pipe.source().read(buf);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            buf.flip();
            while (buf.hasRemaining()) {
                received.add(buf.get());
            }
        });
        AtomicInteger writable = new AtomicInteger();
        hub.addWriter(pipe.sink(), () -> {
            writable.incrementAndGet();
            hub.removeWriter(pipe.sink());
        });
        hub.runOnce(Duration.ofSeconds(1));
        assertThat(writable).hasValue(1);
        hub.runOnce(Duration.ofMillis(20));
        assertThat(writable).hasValue(1); // removed from inside its own callback
        assertThat(received).isEmpty();

        pipe.sink().write(ByteBuffer.wrap(new byte[] {7, 8}));
        hub.runOnce(Duration.ofSeconds(1));
        assertThat(received).containsExactly((byte) 7, (byte) 8);
    }

    @Test
    void readerRegisteredFromAnotherThreadWakesAndRunsOnTheLoop() throws Exception {
        Hub hub = hub(Ticker.system());
        Pipe pipe = pipe();
        Thread loop = runInBackground(hub);
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        CountDownLatch read = new CountDownLatch(1);
        hub.addReader(pipe.source(), () -> {
            ranOn.set(Thread.currentThread());
            drain(pipe.source());
            read.countDown();
        });
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        assertThat(read.await(2, TimeUnit.SECONDS)).isTrue();
        assertThat(ranOn.get()).isSameAs(loop);
        hub.stop();
        loop.join(1_000);
    }

    @Test
    void removeThenAddAgainOnTheLoopThreadWorks() throws Exception {
        Hub hub = hub(new FakeTicker());
        Pipe pipe = pipe();
        AtomicInteger reads = new AtomicInteger();
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        // Remove and re-add within one callback: the cancelled key has not been flushed yet.
        hub.callSoon(() -> hub.addReader(pipe.source(), () -> { }));
        hub.runOnce(Duration.ZERO);
        hub.callSoon(() -> {
            hub.remove(pipe.source());
            hub.addReader(pipe.source(), () -> {
                reads.incrementAndGet();
                drain(pipe.source());
            });
        });
        for (int i = 0; i < 3 && reads.get() == 0; i++) {
            hub.runOnce(Duration.ofSeconds(1));
        }
        assertThat(reads).hasValue(1);
    }

    @Test
    void blockingChannelsAndWrongDirectionsAreRejected() throws Exception {
        Hub hub = hub(new FakeTicker());
        Pipe pipe = Pipe.open();
        cleanup.add(pipe.source());
        cleanup.add(pipe.sink());
        assertThatThrownBy(() -> hub.addReader(pipe.source(), () -> { }))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("configureBlocking(false)");
        pipe.sink().configureBlocking(false);
        assertThatThrownBy(() -> hub.addReader(pipe.sink(), () -> { }))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> hub.callLater(Duration.ofMillis(-1), () -> { }))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> hub.callRepeatedly(Duration.ZERO, () -> { }))
                .isInstanceOf(ConfigurationException.class);
    }

    @Test
    void closingTheHubClosesItsChannelsAndRunsOnClose() throws Exception {
        Hub hub = hub(Ticker.system());
        Pipe a = pipe();
        Pipe b = pipe();
        Pipe removed = pipe();
        List<String> closedCallbacks = new ArrayList<>();
        hub.addReader(a.source(), () -> { });
        hub.addWriter(b.sink(), () -> { });
        hub.addReader(removed.source(), () -> { });
        hub.runOnce(Duration.ZERO);
        hub.remove(removed.source());
        hub.runOnce(Duration.ZERO);
        hub.onClose(() -> closedCallbacks.add("first"));
        hub.onClose(() -> {
            throw new IllegalStateException("bad close callback (expected by the test)");
        });
        hub.onClose(() -> closedCallbacks.add("third"));

        hub.close();

        assertThat(hub.isClosed()).isTrue();
        assertThat(a.source().isOpen()).isFalse();
        assertThat(b.sink().isOpen()).isFalse();
        assertThat(removed.source().isOpen()).isTrue();
        assertThat(a.sink().isOpen()).isTrue(); // never registered
        assertThat(closedCallbacks).containsExactly("first", "third");
        hub.close(); // idempotent
        hub.stop();
        assertThat(closedCallbacks).hasSize(2);
    }

    @Test
    void registrationsPostedBeforeCloseAreClosedToo() throws Exception {
        Hub hub = hub(Ticker.system());
        Pipe pipe = pipe();
        hub.addReader(pipe.source(), () -> { }); // posted: no loop has run yet
        hub.close();
        assertThat(pipe.source().isOpen()).isFalse();
    }

    @Test
    void closeFromAnotherThreadWhileRunningWaitsForTheLoopToTearDown() throws Exception {
        Hub hub = hub(Ticker.system());
        Pipe pipe = pipe();
        CountDownLatch registered = new CountDownLatch(1);
        hub.callSoon(() -> {
            hub.addReader(pipe.source(), () -> { });
            registered.countDown();
        });
        AtomicReference<Thread> closedOn = new AtomicReference<>();
        hub.onClose(() -> closedOn.set(Thread.currentThread()));
        Thread loop = runInBackground(hub);
        assertThat(registered.await(2, TimeUnit.SECONDS)).isTrue();
        hub.close();
        assertThat(pipe.source().isOpen()).isFalse();
        assertThat(closedOn.get()).isSameAs(loop);
        loop.join(1_000);
        assertThat(loop.isAlive()).isFalse();
    }

    @Test
    void closeFromInsideACallbackClosesAtOnce() {
        Hub hub = hub(new FakeTicker());
        AtomicInteger closes = new AtomicInteger();
        hub.onClose(closes::incrementAndGet);
        hub.callSoon(hub::close);
        hub.runOnce(Duration.ZERO);
        assertThat(hub.isClosed()).isTrue();
        assertThat(closes).hasValue(1);
    }

    @Test
    void aClosedHubRejectsNewWorkButStopAndCloseStaySafe() throws Exception {
        Hub hub = hub(new FakeTicker());
        Pipe pipe = pipe();
        hub.close();
        assertThatThrownBy(() -> hub.callSoon(() -> { })).isInstanceOf(ClosedException.class);
        assertThatThrownBy(() -> hub.callLater(Duration.ZERO, () -> { })).isInstanceOf(ClosedException.class);
        assertThatThrownBy(() -> hub.callAt(0, () -> { })).isInstanceOf(ClosedException.class);
        assertThatThrownBy(() -> hub.callRepeatedly(Duration.ofSeconds(1), () -> { })).isInstanceOf(ClosedException.class);
        assertThatThrownBy(() -> hub.addReader(pipe.source(), () -> { })).isInstanceOf(ClosedException.class);
        assertThatThrownBy(() -> hub.onTick(() -> { })).isInstanceOf(ClosedException.class);
        assertThatThrownBy(() -> hub.onClose(() -> { })).isInstanceOf(ClosedException.class);
        assertThatThrownBy(hub::runOnce).isInstanceOf(ClosedException.class);
        assertThatThrownBy(hub::runForever).isInstanceOf(ClosedException.class);
        hub.remove(pipe.source());
        hub.stop();
        hub.close();
    }

    @Test
    void onlyOneThreadRunsTheLoop() throws Exception {
        Hub hub = hub(Ticker.system());
        CountDownLatch started = new CountDownLatch(1);
        hub.callSoon(started::countDown);
        Thread loop = runInBackground(hub);
        assertThat(started.await(2, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> hub.runOnce(Duration.ZERO))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("hub-test-loop");
        assertThatThrownBy(hub::runForever).isInstanceOf(IllegalStateException.class);
        AtomicReference<Throwable> nested = new AtomicReference<>();
        CountDownLatch tried = new CountDownLatch(1);
        hub.callSoon(() -> {
            try {
                hub.runOnce(Duration.ZERO);
            } catch (Throwable t) {
                nested.set(t);
            }
            tried.countDown();
        });
        assertThat(tried.await(2, TimeUnit.SECONDS)).isTrue();
        assertThat(nested.get()).isInstanceOf(IllegalStateException.class);
        hub.stop();
        loop.join(1_000);
        assertThat(loop.isAlive()).isFalse();
        hub.runOnce(Duration.ZERO); // free again once the loop has returned
    }

    @Test
    void tickCallbacksRunEachIterationUntilUnregistered() {
        Hub hub = hub(new FakeTicker());
        AtomicInteger ticks = new AtomicInteger();
        Runnable unregister = hub.onTick(ticks::incrementAndGet);
        hub.runOnce(Duration.ZERO);
        hub.runOnce(Duration.ZERO);
        unregister.run();
        unregister.run();
        hub.runOnce(Duration.ZERO);
        assertThat(ticks).hasValue(2);
    }

    @Test
    void runOnceWaitsForTheNextTimerNotLonger() {
        Hub hub = hub(Ticker.system());
        AtomicInteger fired = new AtomicInteger();
        hub.callLater(Duration.ofMillis(50), fired::incrementAndGet);
        long t0 = System.nanoTime();
        hub.runOnce(Duration.ofSeconds(5)); // sleeps until the deadline
        hub.runOnce(Duration.ZERO);        // fires it
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(fired).hasValue(1);
        assertThat(elapsedMs).isBetween(50L, 2_000L);
    }

    @Test
    void timerFromAnotherThreadWakesAnIdleLoop() throws Exception {
        Hub hub = hub(Ticker.system());
        CountDownLatch started = new CountDownLatch(1);
        hub.callSoon(started::countDown);
        Thread loop = runInBackground(hub);
        assertThat(started.await(2, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(50); // blocked in select with nothing scheduled
        CountDownLatch fired = new CountDownLatch(1);
        hub.callLater(Duration.ofMillis(20), fired::countDown);
        assertThat(fired.await(2, TimeUnit.SECONDS)).isTrue();
        hub.stop();
        loop.join(1_000);
    }

    private static void drain(java.nio.channels.ReadableByteChannel channel) {
        ByteBuffer buf = ByteBuffer.allocate(256);
        try {
            while (channel.read(buf) > 0) {
                buf.clear();
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
