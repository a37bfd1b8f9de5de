package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every builder of the API refuses a negative time alike, naming the option; null is refused with its name too. */
class NonNegativeDurationsTest {
    private static final Duration NEGATIVE = Duration.ofMillis(-1);

    @Test
    void negativeTimesAreRefusedByNameEverywhere() {
        assertThatThrownBy(() -> RetryPolicy.builder().intervalMax(NEGATIVE)).isInstanceOf(ConfigurationException.class)
                .hasMessage("intervalMax must not be negative, got PT-0.001S");
        assertThatThrownBy(() -> PublishOptions.builder().countdown(NEGATIVE)).isInstanceOf(ConfigurationException.class)
                .hasMessage("countdown must not be negative, got PT-0.001S");
        assertThatThrownBy(() -> PublishOptions.builder().expiration(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("expiration");
        try (Connection c = Connection.open("memory://nonneg")) {
            assertThatThrownBy(() -> Worker.builder(c).gracePeriod(NEGATIVE)).isInstanceOf(ConfigurationException.class)
                    .hasMessage("gracePeriod must not be negative, got PT-0.001S");
            Worker w = Worker.builder(c).queues(Queue.of("nonneg.q")).onRawMessage(m -> { }).build();
            assertThatThrownBy(() -> w.stop(NEGATIVE)).isInstanceOf(ConfigurationException.class)
                    .hasMessage("grace period must not be negative, got PT-0.001S");
        }
    }
}
