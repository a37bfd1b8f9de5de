package org.kombu4j.cli.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.kombu4j.transport.QueueStats;
import org.kombu4j.transport.QueueStats.RatesSource;

/**
 * How the sampler turns kombu4j clients' totals and depth changes into rates, and labels them: one sample a second
 * on a fake clock, readings given by the test.
 */
class SamplerRatesTest {
    private long now = 1_000_000;
    private final List<QueueStats> next = new ArrayList<>();
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }
    };
    private final Sampler sampler = new Sampler(new Sampler.Source() {
        @Override
        public List<QueueStats> sample() {
            return List.copyOf(next);
        }

        @Override
        public void reset() {
        }
    }, clock, 1000);

    private QueueStats at(long ready, @Nullable Long published, @Nullable Long delivered) {
        next.clear();
        next.add(new QueueStats("q", ready, 0L, 1, null, null, null, 0L, null, null, List.of(), published, delivered, null, true));
        assertThat(sampler.sampleOnce()).isNull();
        now += 1000;
        return sampler.snapshot().queues().get(0);
    }

    @Test
    void countedRatesAreTheTotalsOverTime() {
        assertThat(at(0, 0L, 0L).ratesSource()).as("one sample: no rate yet").isNull();
        QueueStats q = null;
        for (int i = 1; i <= 5; i++) {
            q = at(0, 100L * i, 100L * i); // 100/s in, 100/s out, depth flat
        }
        assertThat(q.ratesSource()).isEqualTo(RatesSource.CLIENTS);
        assertThat(q.publishRate()).isEqualTo(100.0);
        assertThat(q.deliverRate()).isEqualTo(100.0);
        for (int i = 0; i < 5; i++) {
            q = at(0, 500L, 500L);
        }
        assertThat(q.publishRate()).as("stopped: falls to 0 within the window").isZero();
        assertThat(q.deliverRate()).isZero();
    }

    @Test
    void depthBeyondTheCountsRaisesTheRatesAndSaysSo() {
        at(0, 0L, 0L);
        QueueStats q = null;
        for (int i = 1; i <= 5; i++) {
            q = at(0, 0L, 100L * i); // a kombu4j consumer takes 100/s, the depth stays flat: someone uncounted publishes
        }
        assertThat(q.ratesSource()).isEqualTo(RatesSource.CLIENTS_AND_DEPTH);
        assertThat(q.ratesSource().lowerBound()).isTrue();
        assertThat(q.publishRate()).isEqualTo(100.0);
        assertThat(q.deliverRate()).isEqualTo(100.0);
    }

    @Test
    void withoutCountsTheDepthAloneIsALowerBound() {
        at(0, null, null);
        QueueStats q = at(50, null, null);
        assertThat(q.ratesSource()).isEqualTo(RatesSource.DEPTH);
        assertThat(q.publishRate()).isEqualTo(50.0);
        assertThat(q.deliverRate()).isZero();
        q = at(20, null, null);
        // Over the 2 s window: 50 came, then 30 went; the net change (+20) would hide both.
        assertThat(q.publishRate()).isEqualTo(25.0);
        assertThat(q.deliverRate()).isEqualTo(15.0);
    }

    @Test
    void brokerRatesAreLeftAlone() {
        next.add(new QueueStats("r", 3, 0L, 0, 7.0, 2.0, null, null, null, null));
        sampler.sampleOnce();
        now += 1000;
        sampler.sampleOnce();
        QueueStats q = sampler.snapshot().queues().get(0);
        assertThat(q.ratesSource()).isEqualTo(RatesSource.BROKER);
        assertThat(q.publishRate()).isEqualTo(7.0);
    }
}
