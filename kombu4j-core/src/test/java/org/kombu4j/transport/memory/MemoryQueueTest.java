package org.kombu4j.transport.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.kombu4j.Queue;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.virtual.StoredMessage;
import org.junit.jupiter.api.Test;

/**
 * A FIFO {@link MemoryQueue} holds messages that cannot expire without a wrapper and those that can in one:
 * order, front puts, expiry and the length limit must not depend on which.
 */
class MemoryQueueTest {
    private static StoredMessage msg(String body, @org.jspecify.annotations.Nullable String expirationMs) {
        Map<String, Object> props = expirationMs == null ? Map.of() : Map.of("expiration", expirationMs);
        return new StoredMessage(new RawMessage(body.getBytes(StandardCharsets.UTF_8), "text/plain", "utf-8", Map.of(),
                props), "", "q", false);
    }

    private static List<String> drain(MemoryQueue q) {
        List<String> out = new ArrayList<>();
        for (StoredMessage m; (m = q.poll()) != null; ) {
            out.add(new String(m.content().body(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void mixedExpiringAndPlainMessagesKeepFifoOrderWithFrontPuts() {
        MemoryQueue q = new MemoryQueue(Queue.of("q"));
        q.put(msg("a", null), false);
        q.put(msg("b", "60000"), false);
        q.put(msg("c", null), false);
        q.put(msg("z", "60000"), true);
        q.put(msg("y", null), true);
        assertThat(q.size()).isEqualTo(5);
        assertThat(drain(q)).containsExactly("y", "z", "a", "b", "c");
        assertThat(q.size()).isZero();
    }

    @Test
    void expiredMessagesAreSkippedAmongPlainOnes() throws InterruptedException {
        MemoryQueue q = new MemoryQueue(Queue.of("q"));
        q.put(msg("a", null), false);
        q.put(msg("gone", "1"), false);
        q.put(msg("b", null), false);
        q.put(msg("kept", "60000"), false);
        q.put(msg("gone2", "0"), true);
        Thread.sleep(20);
        assertThat(drain(q)).containsExactly("a", "b", "kept");
    }

    @Test
    void queueTtlAndMaxLengthStillApply() throws InterruptedException {
        MemoryQueue ttl = new MemoryQueue(Queue.named("t").messageTtl(java.time.Duration.ofMillis(1)).build());
        ttl.put(msg("a", null), false);
        ttl.put(msg("b", "60000"), false);
        Thread.sleep(20);
        assertThat(drain(ttl)).isEmpty();

        MemoryQueue max = new MemoryQueue(Queue.named("m").maxLength(2).build());
        max.put(msg("a", null), false);
        max.put(msg("b", "60000"), false);
        max.put(msg("c", null), false);
        assertThat(max.size()).isEqualTo(2);
        assertThat(drain(max)).containsExactly("b", "c");
    }

    @Test
    void priorityQueuesStillOrderByPriorityThenArrival() {
        MemoryQueue q = new MemoryQueue(Queue.named("p").maxPriority(5).build());
        q.put(new StoredMessage(new RawMessage("low".getBytes(StandardCharsets.UTF_8), "text/plain", "utf-8", Map.of(),
                Map.of("priority", 1)), "", "p", false), false);
        q.put(new StoredMessage(new RawMessage("high".getBytes(StandardCharsets.UTF_8), "text/plain", "utf-8", Map.of(),
                Map.of("priority", 4)), "", "p", false), false);
        q.put(msg("zero", null), false);
        assertThat(drain(q)).containsExactly("high", "low", "zero");
    }
}
