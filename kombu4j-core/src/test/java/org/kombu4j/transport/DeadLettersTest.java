package org.kombu4j.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeadLettersTest {
    private static final Instant T = Instant.ofEpochSecond(1_700_000_000L);

    @Test
    void aFirstDeathRecordsReasonQueueExchangeKeyAndTime() {
        Map<String, Object> h = DeadLetters.record(Map.of("app", "x"), DeadLetters.REJECTED, "work", "ex", "job", T);
        assertThat(h).containsEntry("app", "x").containsEntry("x-first-death-reason", "rejected")
                .containsEntry("x-first-death-queue", "work").containsEntry("x-first-death-exchange", "ex")
                .containsEntry("x-last-death-reason", "rejected");
        assertThat(h.get("x-death")).isEqualTo(List.of(Map.of("count", 1L, "reason", "rejected", "queue", "work",
                "time", 1_700_000_000L, "exchange", "ex", "routing-keys", List.of("job"))));
        assertThat(DeadLetters.lastQueue(h)).isEqualTo("work");
    }

    @Test
    void dyingAgainForTheSameQueueAndReasonCountsAndMovesFirst() {
        Map<String, Object> h = DeadLetters.record(Map.of(), DeadLetters.REJECTED, "a", "", "a", T);
        h = DeadLetters.record(h, DeadLetters.UNDECODABLE, "b", "", "b", T);
        h = DeadLetters.record(h, DeadLetters.REJECTED, "a", "", "a", T.plusSeconds(5));
        List<?> deaths = (List<?>) h.get("x-death");
        assertThat(deaths).hasSize(2);
        Map<?, ?> first = (Map<?, ?>) deaths.get(0);
        assertThat(first.get("queue")).isEqualTo("a");
        assertThat(first.get("count")).isEqualTo(2L);
        assertThat(first.get("time")).isEqualTo(T.getEpochSecond() + 5);
        assertThat(h).containsEntry("x-first-death-queue", "a").containsEntry("x-last-death-queue", "a")
                .containsEntry("x-first-death-reason", "rejected");
    }

    @Test
    void aMessageThatNeverDiedHasNoLastQueue() {
        assertThat(DeadLetters.lastQueue(Map.of())).isNull();
        assertThat(DeadLetters.last(Map.of("x-death", List.of()))).isNull();
    }
}
