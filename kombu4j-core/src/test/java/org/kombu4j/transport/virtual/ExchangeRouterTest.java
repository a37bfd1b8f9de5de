package org.kombu4j.transport.virtual;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kombu4j.ExchangeType;

class ExchangeRouterTest {
    private final ExchangeRouter router = new ExchangeRouter();

    @Test
    void topicPatternsFollowAmqpNotKombusRegex() {
        assertThat(TopicPattern.compile("a.*").matches("a.b")).isTrue();
        assertThat(TopicPattern.compile("a.*").matches("a.b.c")).isFalse(); // Kombu's regex says true (WIRE.md §12.7)
        assertThat(TopicPattern.compile("a.#").matches("a")).isTrue(); // Kombu says false
        assertThat(TopicPattern.compile("a.#").matches("a.b.c")).isTrue();
        assertThat(TopicPattern.compile("usd.#.x").matches("usd.x")).isTrue(); // Kombu says false
        assertThat(TopicPattern.compile("#").matches("")).isTrue();
        assertThat(TopicPattern.compile("#").matches("anything.at.all")).isTrue();
        assertThat(TopicPattern.compile("*.b.#").matches("a.b")).isTrue();
        assertThat(TopicPattern.compile("*").matches("a.b")).isFalse();
        assertThat(TopicPattern.compile("a.b").matches("a.b")).isTrue();
        assertThat(TopicPattern.compile("a.b").matches("a.bc")).isFalse();
        assertThat(TopicPattern.compile("#.#.c").matches("c")).isTrue();
    }

    @Test
    void routesEachTypeWithoutDuplicates() {
        List<ExchangeRouter.Row> rows = List.of(
                new ExchangeRouter.Row("q1", "k", Map.of()),
                new ExchangeRouter.Row("q1", "k", Map.of()),
                new ExchangeRouter.Row("q2", "other", Map.of()));
        assertThat(router.route(ExchangeType.DIRECT, rows, "k", Map.of())).containsExactly("q1");
        assertThat(router.route(ExchangeType.FANOUT, rows, "whatever", Map.of())).containsExactly("q1", "q2");
        assertThat(router.route(ExchangeType.TOPIC, rows, "nothing", Map.of())).isEmpty();
    }

    @Test
    void headersMatchAllAnyAndPresence() {
        Map<String, Object> all = Map.of("x-match", "all", "a", 1, "b", "x");
        assertThat(ExchangeRouter.headersMatch(all, Map.of("a", 1L, "b", "x", "c", 3))).isTrue();
        assertThat(ExchangeRouter.headersMatch(all, Map.of("a", 1))).isFalse();
        Map<String, Object> any = Map.of("x-match", "any", "a", 1, "b", "x");
        assertThat(ExchangeRouter.headersMatch(any, Map.of("b", "x"))).isTrue();
        assertThat(ExchangeRouter.headersMatch(any, Map.of("b", "y"))).isFalse();
        assertThat(ExchangeRouter.headersMatch(Map.of("a", 1), Map.of("a", 1))).isTrue(); // all is the default
    }
}
