package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    @Test
    void delaysGrowByStepUpToMax() {
        RetryPolicy p = RetryPolicy.builder().maxRetries(10).intervalStart(Duration.ofSeconds(1))
                .intervalStep(Duration.ofSeconds(2)).intervalMax(Duration.ofSeconds(6)).build();
        assertThat(List.of(p.delay(1), p.delay(2), p.delay(3), p.delay(4), p.delay(50)))
                .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(5),
                        Duration.ofSeconds(6), Duration.ofSeconds(6));
        assertThat(p.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(6));
    }

    @Test
    void jitterSpreadsWithinTheFraction() {
        double[] r = {0.0, 0.999999, 0.5};
        AtomicInteger i = new AtomicInteger();
        RetryPolicy p = RetryPolicy.builder().intervalStart(Duration.ofSeconds(10)).intervalMax(Duration.ofSeconds(10))
                .jitter(0.2).random(() -> r[i.getAndIncrement()]).build();
        assertThat(p.delay(1)).isEqualTo(Duration.ofSeconds(8));
        assertThat(p.delay(1).toMillis()).isBetween(11_999L, 12_000L);
        assertThat(p.delay(1)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void callRetriesOperationalErrorsThenGivesUpWithoutSleepingForReal() {
        List<Duration> slept = new ArrayList<>();
        RetryPolicy p = RetryPolicy.builder().maxRetries(2).intervalStart(Duration.ofMillis(5))
                .intervalStep(Duration.ofMillis(5)).intervalMax(Duration.ofMillis(100)).sleeper(slept::add).build();
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> p.call(() -> {
            calls.incrementAndGet();
            throw new OperationalException("down");
        }, null)).isInstanceOf(OperationalException.class).hasMessage("down");
        assertThat(calls).hasValue(3);
        assertThat(slept).containsExactly(Duration.ofMillis(5), Duration.ofMillis(10));

        calls.set(0);
        assertThat(p.call(() -> {
            if (calls.incrementAndGet() < 2) {
                throw new OperationalException("blip");
            }
            return "ok";
        }, null)).isEqualTo("ok");
    }

    @Test
    void otherErrorsAreNotRetried() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> RetryPolicy.DEFAULT.call(() -> {
            calls.incrementAndGet();
            throw new ConfigurationException("bad");
        }, null)).isInstanceOf(ConfigurationException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void badSettingsFailAtOnce() {
        assertThatThrownBy(() -> RetryPolicy.builder().maxRetries(-2)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().jitter(1.5)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().intervalStart(Duration.ofSeconds(-1)))
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().intervalStart(Duration.ofSeconds(5))
                .intervalMax(Duration.ofSeconds(1)).build()).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void timeoutBoundsTheWholeRunOnAnInjectedClock() {
        long[] now = {0};
        List<Duration> slept = new ArrayList<>();
        RetryPolicy p = RetryPolicy.builder().maxRetries(-1).intervalStart(Duration.ofSeconds(1))
                .intervalStep(Duration.ofSeconds(1)).intervalMax(Duration.ofSeconds(10)).timeout(Duration.ofSeconds(7))
                .ticker(() -> now[0]).sleeper(d -> {
                    slept.add(d);
                    now[0] += d.toNanos();
                }).build();
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> p.call(() -> {
            calls.incrementAndGet();
            throw new OperationalException("down");
        }, null)).isInstanceOf(OperationalException.class);
        // 1 s + 2 s + 3 s = 6 s slept; a 4 s wait would end at 10 s, past the 7 s budget.
        assertThat(slept).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3));
        assertThat(calls).hasValue(4);
        assertThatThrownBy(() -> RetryPolicy.builder().timeout(Duration.ZERO)).isInstanceOf(ConfigurationException.class);
    }
}
