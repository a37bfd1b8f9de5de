package org.kombu4j.transport;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The headers a dead-lettered message carries, in the form RabbitMQ gives them ({@code x-death} and
 * {@code x-first-death-*}/{@code x-last-death-*}), for the transports that dead-letter by themselves
 * (Redis, SQL, memory) and for the reasons RabbitMQ has no word for ({@link #UNDECODABLE}). So a
 * consumer of a dead-letter queue reads one layout on every transport.
 *
 * <p>{@code x-death} is a list, newest first, of one entry per (queue, reason): {@code count}, {@code reason},
 * {@code queue}, {@code time} (epoch seconds), {@code exchange} and {@code routing-keys} (the message's own).
 * A message dead-lettered again for the same queue and reason has that entry's count raised and moved first.
 */
public final class DeadLetters {
    /** Rejected (or nacked) without requeue. */
    public static final String REJECTED = "rejected";
    /** Returned to its queue more times than the queue's delivery limit. */
    public static final String DELIVERY_LIMIT = "delivery_limit";
    /** Its body could not be decoded (or its content type was not accepted). */
    public static final String UNDECODABLE = "undecodable";
    /** The header holding the list of deaths. */
    public static final String X_DEATH = "x-death";

    private DeadLetters() {
    }

    /**
     * {@code headers} with one more death recorded: the message died in {@code queue} for {@code reason}
     * at {@code time}, having been published to {@code exchange} with {@code routingKey}.
     */
    public static Map<String, Object> record(Map<String, Object> headers, String reason, String queue, String exchange,
            String routingKey, Instant time) {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(queue, "queue");
        Map<String, Object> out = new LinkedHashMap<>(headers);
        List<Object> deaths = new ArrayList<>();
        long count = 1;
        if (headers.get(X_DEATH) instanceof List<?> old) {
            for (Object o : old) {
                if (o instanceof Map<?, ?> m && queue.equals(String.valueOf(m.get("queue"))) && reason.equals(String.valueOf(m.get("reason")))) {
                    count += m.get("count") instanceof Number n ? n.longValue() : 0;
                } else {
                    deaths.add(o);
                }
            }
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("count", count);
        entry.put("reason", reason);
        entry.put("queue", queue);
        entry.put("time", time.getEpochSecond());
        entry.put("exchange", exchange);
        entry.put("routing-keys", List.of(routingKey));
        deaths.add(0, entry);
        out.put(X_DEATH, deaths);
        out.putIfAbsent("x-first-death-reason", reason);
        out.putIfAbsent("x-first-death-queue", queue);
        out.putIfAbsent("x-first-death-exchange", exchange);
        out.put("x-last-death-reason", reason);
        out.put("x-last-death-queue", queue);
        out.put("x-last-death-exchange", exchange);
        return out;
    }

    /** The queue a dead letter last died in (from {@code x-death} or {@code x-last-death-queue}), or null. */
    public static @Nullable String lastQueue(Map<String, Object> headers) {
        Map<?, ?> last = last(headers);
        if (last != null && last.get("queue") != null) {
            return String.valueOf(last.get("queue"));
        }
        Object q = headers.get("x-last-death-queue");
        return q == null ? headers.get("x-first-death-queue") == null ? null : String.valueOf(headers.get("x-first-death-queue"))
                : String.valueOf(q);
    }

    /** The newest {@code x-death} entry, or null. */
    public static @Nullable Map<?, ?> last(Map<String, Object> headers) {
        if (headers.get(X_DEATH) instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?> m) {
            return m;
        }
        return null;
    }
}
