package org.kombu4j.transport.virtual;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.kombu4j.ExchangeType;

/**
 * Routing for transports without native exchanges: given an exchange's type and its bindings,
 * which queues take a message. Direct compares keys, topic uses {@link TopicPattern}, fanout takes
 * every bound queue, headers matches binding arguments against message headers ({@code x-match}
 * {@code all}, the default, or {@code any}; {@code x-}-prefixed arguments are not matched).
 * Thread-safe; compiled topic patterns are cached.
 */
public final class ExchangeRouter {
    private final Map<String, TopicPattern> topicCache = new ConcurrentHashMap<>();

    /** One binding row: exchange → queue under a routing key and arguments. */
    public record Row(String queue, String routingKey, Map<String, Object> arguments) {
        public Row {
            Objects.requireNonNull(queue, "queue");
            Objects.requireNonNull(routingKey, "routingKey");
            arguments = Map.copyOf(arguments);
        }
    }

    /** The queues, in binding order without duplicates, that take a message. Do not modify the set. */
    public Set<String> route(ExchangeType type, Collection<Row> bindings, String routingKey, Map<String, Object> headers) {
        // Most messages go to one queue: no set is built unless a second queue matches.
        String first = null;
        Set<String> more = null;
        String[] words = type == ExchangeType.TOPIC ? TopicPattern.split(routingKey) : null;
        for (Row row : bindings) {
            boolean hit = words != null
                    ? topicCache.computeIfAbsent(row.routingKey(), TopicPattern::compile).matches(words)
                    : matches(type, row, routingKey, headers);
            if (!hit) {
                continue;
            }
            if (first == null) {
                first = row.queue();
            } else if (more != null) {
                more.add(row.queue());
            } else if (!first.equals(row.queue())) {
                more = new LinkedHashSet<>();
                more.add(first);
                more.add(row.queue());
            }
        }
        return more != null ? more : first != null ? Set.of(first) : Set.of();
    }

    public boolean matches(ExchangeType type, Row row, String routingKey, Map<String, Object> headers) {
        switch (type) {
            case DIRECT:
                return row.routingKey().equals(routingKey);
            case FANOUT:
                return true;
            case TOPIC:
                return topicCache.computeIfAbsent(row.routingKey(), TopicPattern::compile).matches(routingKey);
            case HEADERS:
                return headersMatch(row.arguments(), headers);
            default:
                throw new IllegalStateException("unhandled exchange type " + type);
        }
    }

    static boolean headersMatch(Map<String, Object> args, Map<String, Object> headers) {
        Object mode = args.getOrDefault("x-match", "all");
        boolean any = "any".equals(String.valueOf(mode)) || "any-with-x".equals(String.valueOf(mode));
        boolean sawCriterion = false;
        for (Map.Entry<String, Object> e : args.entrySet()) {
            if (e.getKey().startsWith("x-")) {
                continue;
            }
            sawCriterion = true;
            boolean present = headers.containsKey(e.getKey());
            Object want = e.getValue();
            // A null (void) argument matches on presence alone, as in RabbitMQ.
            boolean ok = present && (want == null || valueEquals(want, headers.get(e.getKey())));
            if (any && ok) {
                return true;
            }
            if (!any && !ok) {
                return false;
            }
        }
        return !any || !sawCriterion;
    }

    private static boolean valueEquals(Object a, Object b) {
        if (a instanceof Number && b instanceof Number) {
            return ((Number) a).doubleValue() == ((Number) b).doubleValue();
        }
        return String.valueOf(a).equals(String.valueOf(b));
    }
}
