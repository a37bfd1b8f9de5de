package org.kombu4j.transport.virtual;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.kombu4j.KombuException;
import org.kombu4j.transport.DeliveryHandler;
import org.kombu4j.transport.virtual.ConsumerRegistry.Cancelled;
import org.kombu4j.transport.virtual.ConsumerRegistry.Registration;

class ConsumerRegistryTest {
    private static final DeliveryHandler NOTHING = m -> { };

    @Test
    void makesUpTagsNotInUse() {
        ConsumerRegistry r = new ConsumerRegistry();
        r.add("q", "ctag-1", false, NOTHING);
        Registration a = r.add("q", null, false, NOTHING);
        Registration b = r.add("q", null, false, NOTHING);
        assertThat(a.tag()).isEqualTo("ctag-2");
        assertThat(b.tag()).isEqualTo("ctag-3");
        assertThat(r.size()).isEqualTo(3);
    }

    @Test
    void refusesADuplicateTagNamingIt() {
        ConsumerRegistry r = new ConsumerRegistry();
        r.add("q1", "worker", false, NOTHING);
        assertThatThrownBy(() -> r.add("q2", "worker", false, NOTHING))
                .isInstanceOf(KombuException.class).hasMessageContaining("'worker'");
        assertThat(r.size()).isEqualTo(1);
        assertThat(r.consumes("q2")).isFalse();
    }

    @Test
    void cancelTellsWhetherItWasTheQueuesLastConsumer() {
        ConsumerRegistry r = new ConsumerRegistry();
        Registration a = r.add("q", "a", false, NOTHING);
        r.add("q", "b", false, NOTHING);
        Cancelled first = r.cancel("a");
        assertThat(first).isEqualTo(new Cancelled(a, false));
        assertThat(r.isActive(a)).isFalse();
        assertThat(r.consumes("q")).isTrue();
        assertThat(r.cancel("b").lastOnQueue()).isTrue();
        assertThat(r.consumes("q")).isFalse();
        assertThat(r.cancel("b")).isNull();
        assertThat(r.isEmpty()).isTrue();
        assertThat(r.next("q")).isNull();
        assertThat(r.next()).isNull();
    }

    @Test
    void tagOfACancelledConsumerCanBeUsedAgain() {
        ConsumerRegistry r = new ConsumerRegistry();
        Registration old = r.add("q", "t", false, NOTHING);
        r.cancel("t");
        Registration again = r.add("q", "t", false, NOTHING);
        assertThat(r.isActive(old)).isFalse();
        assertThat(r.isActive(again)).isTrue();
        assertThat(r.get("t")).isSameAs(again);
    }

    @Test
    void servesAQueuesConsumersRoundRobin() {
        ConsumerRegistry r = new ConsumerRegistry();
        r.add("q", "a", false, NOTHING);
        r.add("other", "x", false, NOTHING);
        r.add("q", "b", false, NOTHING);
        r.add("q", "c", false, NOTHING);
        assertThat(tags(r, "q", 6)).containsExactly("a", "b", "c", "a", "b", "c");
        // Cancelling a consumer before the turn keeps the turn where it was.
        r.cancel("c");
        assertThat(r.next("q").tag()).isEqualTo("a");
        r.cancel("a");
        assertThat(tags(r, "q", 3)).containsExactly("b", "b", "b");
    }

    @Test
    void rotatesOverEveryConsumerInConsumeOrder() {
        ConsumerRegistry r = new ConsumerRegistry();
        r.add("q1", "a", false, NOTHING);
        r.add("q2", "b", false, NOTHING);
        r.add("q1", "c", false, NOTHING);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(r.next().tag());
        }
        assertThat(seen).containsExactly("a", "b", "c", "a");
        r.cancel("a"); // "b" had the turn after "a"
        assertThat(r.next().tag()).isEqualTo("b");
        assertThat(r.next().tag()).isEqualTo("c");
    }

    @Test
    void listsQueuesOnceInFirstConsumedOrder() {
        ConsumerRegistry r = new ConsumerRegistry();
        r.add("b", "1", false, NOTHING);
        r.add("a", "2", false, NOTHING);
        r.add("b", "3", false, NOTHING);
        assertThat(r.queues()).containsExactly("b", "a");
        r.cancel("1");
        assertThat(r.queues()).containsExactly("b", "a");
        r.cancel("3");
        r.add("b", "4", false, NOTHING);
        assertThat(r.queues()).containsExactly("a", "b");
    }

    @Test
    void aQueueIsNoAckWhenAllItsConsumersAre() {
        ConsumerRegistry r = new ConsumerRegistry();
        assertThat(r.noAck("q")).isFalse();
        r.add("q", "a", true, NOTHING);
        assertThat(r.noAck("q")).isTrue();
        assertThat(r.anyNoAck()).isTrue();
        r.add("q", "b", false, NOTHING);
        assertThat(r.noAck("q")).isFalse();
        r.cancel("a");
        assertThat(r.noAck("q")).isFalse();
        assertThat(r.anyNoAck()).isFalse();
    }

    @Test
    void clearReturnsTheQueuesThatHadConsumers() {
        ConsumerRegistry r = new ConsumerRegistry();
        Registration a = r.add("q1", "a", false, NOTHING);
        r.add("q2", "b", true, NOTHING);
        r.add("q1", "c", false, NOTHING);
        assertThat(r.clear()).containsExactly("q1", "q2");
        assertThat(r.isEmpty()).isTrue();
        assertThat(r.isActive(a)).isFalse();
        assertThat(r.queues()).isEmpty();
        assertThat(r.clear()).isEmpty();
    }

    @Test
    void concurrentAddsGetDistinctTags() throws Exception {
        ConsumerRegistry r = new ConsumerRegistry();
        Set<String> tags = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 500; i++) {
                    tags.add(r.add("q", null, false, NOTHING).tag());
                }
            });
            th.start();
            threads.add(th);
        }
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertThat(tags).hasSize(2000);
        assertThat(r.size()).isEqualTo(2000);
    }

    private static List<String> tags(ConsumerRegistry r, String queue, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(r.next(queue).tag());
        }
        return out;
    }
}
