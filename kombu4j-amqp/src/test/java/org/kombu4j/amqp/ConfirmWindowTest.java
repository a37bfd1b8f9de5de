package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.kombu4j.hub.Ticker;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;

/** The confirm window's bookkeeping without a broker: time is a ticker the test moves, not a sleep. */
class ConfirmWindowTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final Ticker ticker = now::get;
    private final ConfirmWindow.Failures failures = new ConfirmWindow.Failures();
    private final ConfirmWindow window = new ConfirmWindow(4, Duration.ofSeconds(30), failures, 1, ticker);

    private static OutgoingMessage message(String body) {
        return new OutgoingMessage("ex", "rk", new RawMessage(body.getBytes(StandardCharsets.UTF_8), "text/plain",
                "utf-8", Map.of(), Map.of()), false);
    }

    private void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }

    @Test
    void aConfirmMissingPastConfirmTimeoutFailsTheNextPublish() {
        window.register(1, message("one"), null);
        advance(Duration.ofSeconds(29));
        window.register(2, message("two"), null);
        assertThat(window.outstanding()).isEqualTo(2);

        advance(Duration.ofSeconds(2)); // "one" is now 31 s old, "two" 2 s
        assertThatThrownBy(() -> window.register(3, message("three"), null))
                .isInstanceOf(PublishNotConfirmedException.class)
                .hasMessageContaining("1 earlier publish")
                .hasMessageContaining("no publisher confirm within 30000 ms (option confirm_timeout)");
        // "three" was not registered; "two" is still waiting.
        assertThat(window.outstanding()).isEqualTo(1);
        window.handleAck(2, false);
        assertThat(window.outstanding()).isZero();
        window.awaitSettled();
        failures.throwIfAny("nothing left");
    }

    @Test
    void awaitSettledCountsOverdueConfirmsAsFailedWithoutWaiting() {
        window.register(7, message("a"), null);
        window.register(8, message("b"), null);
        window.handleAck(7, false);
        advance(Duration.ofSeconds(30));
        window.awaitSettled(); // the ticker says "b" is overdue: returns at once, not after a real 30 s
        assertThat(window.outstanding()).isZero();
        assertThatThrownBy(() -> failures.throwIfAny("reported by flush"))
                .isInstanceOf(PublishNotConfirmedException.class).hasMessageContaining("1 earlier publish");
    }

    @Test
    void aNackAndAMultipleAckSettleByVerdict() {
        for (long seq = 1; seq <= 3; seq++) {
            window.register(seq, message("m" + seq), null);
        }
        window.handleNack(1, false);
        window.handleAck(3, true);
        assertThat(window.outstanding()).isZero();
        assertThatThrownBy(() -> failures.throwIfAny("reported"))
                .isInstanceOf(PublishNotConfirmedException.class).hasMessageContaining("nacked 1 message");
    }
}
