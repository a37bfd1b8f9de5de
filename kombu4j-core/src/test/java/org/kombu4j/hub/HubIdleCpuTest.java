package org.kombu4j.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Guards against a busy loop: an idle hub must sleep in select, not spin. */
class HubIdleCpuTest {

    @Test
    @Timeout(value = 15, unit = TimeUnit.SECONDS)
    void idleHubWithThousandChannelsAndADistantTimerBarelyUsesCpu() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads.isThreadCpuTimeSupported(), "thread CPU time not supported");
        threads.setThreadCpuTimeEnabled(true);

        List<Pipe> pipes = new ArrayList<>();
        Hub hub = new Hub();
        try {
            for (int i = 0; i < 1_000; i++) {
                Pipe pipe = Pipe.open();
                pipes.add(pipe);
                pipe.source().configureBlocking(false);
                hub.addReader(pipe.source(), () -> { });
            }
            hub.callLater(Duration.ofSeconds(10), () -> { });
            CountDownLatch registered = new CountDownLatch(1);
            hub.callSoon(registered::countDown); // runs after the 1,000 posted registrations
            Thread loop = new Thread(hub::runForever, "hub-idle-loop");
            loop.setDaemon(true);
            loop.start();
            assertThat(registered.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100); // let the loop settle into select

            long cpuBefore = threads.getThreadCpuTime(loop.getId());
            Thread.sleep(2_000);
            long cpuAfter = threads.getThreadCpuTime(loop.getId());
            assertThat(loop.isAlive()).isTrue();
            assertThat(cpuBefore).as("loop thread CPU time is measured").isPositive();
            double cpuSeconds = (cpuAfter - cpuBefore) / 1e9;
            System.out.printf("idle hub loop thread: %.4f CPU-seconds over 2 s%n", cpuSeconds);
            assertThat(cpuSeconds).as("loop thread CPU seconds over 2 s idle").isLessThan(0.05);

            hub.close();
            loop.join(1_000);
            assertThat(loop.isAlive()).isFalse();
            assertThat(pipes).allSatisfy(p -> assertThat(p.source().isOpen()).isFalse());
        } finally {
            hub.close();
            for (Pipe pipe : pipes) {
                pipe.source().close();
                pipe.sink().close();
            }
        }
    }
}
