package org.kombu4j.transport.virtual;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link QoS} against the insertion-ordered map it replaces, for ordered, shuffled and repeated tags. */
class QoSTest {

    @Test
    void behavesAsAnInsertionOrderedMap() {
        for (int seed = 0; seed < 40; seed++) {
            Random r = new Random(seed);
            QoS<String> qos = new QoS<>();
            Map<Long, String> model = new LinkedHashMap<>();
            long next = 0;
            boolean shuffled = seed % 4 == 3;
            for (int step = 0; step < 5000; step++) {
                int op = r.nextInt(10);
                if (op < 5) {
                    long tag = shuffled && r.nextInt(50) == 0 ? r.nextInt((int) next + 1) : ++next;
                    String e = "m" + step;
                    qos.append(tag, e);
                    model.put(tag, e);
                } else if (op < 9) {
                    long tag;
                    if (!model.isEmpty() && r.nextInt(3) > 0) {
                        List<Long> keys = new ArrayList<>(model.keySet());
                        // Mostly the oldest, sometimes any: how acks arrive.
                        tag = r.nextBoolean() ? keys.get(0) : keys.get(r.nextInt(keys.size()));
                    } else {
                        tag = r.nextInt((int) next + 2);
                    }
                    assertThat(qos.remove(tag)).isEqualTo(model.remove(tag));
                } else if (r.nextInt(20) == 0) {
                    assertThat(qos.drain()).isEqualTo(new ArrayList<>(model.values()));
                    model.clear();
                }
                assertThat(qos.size()).isEqualTo(model.size());
            }
            assertThat(qos.drain()).isEqualTo(new ArrayList<>(model.values()));
            assertThat(qos.size()).isZero();
        }
    }

    @Test
    void oneOldUnackedEntryDoesNotKeepEveryLaterSlot() throws Exception {
        QoS<Integer> qos = new QoS<>();
        qos.append(1, 1);
        for (int i = 2; i < 100_000; i++) {
            qos.append(i, i);
            assertThat(qos.remove(i)).isEqualTo(i);
        }
        java.lang.reflect.Field f = QoS.class.getDeclaredField("tags");
        f.setAccessible(true);
        assertThat(((long[]) f.get(qos)).length).isLessThanOrEqualTo(1024);
        assertThat(qos.drain()).containsExactly(1);
    }

    @Test
    void prefetchCountsLiveEntries() {
        QoS<String> qos = new QoS<>();
        qos.setPrefetchCount(2);
        qos.append(1, "a");
        assertThat(qos.canConsume()).isTrue();
        qos.append(2, "b");
        assertThat(qos.canConsume()).isFalse();
        assertThat(qos.capacity()).isZero();
        qos.remove(2);
        assertThat(qos.capacity()).isEqualTo(1);
    }

    @Test
    void reservationsCountAgainstThePrefetchLimit() {
        QoS<String> qos = new QoS<>();
        qos.setPrefetchCount(10);
        assertThat(qos.reserve(6)).isEqualTo(6);
        qos.appendReserved(1, "a");
        qos.appendReserved(2, "b");
        // 2 delivered + 4 still on the wire: a second fetch may ask for 4 more, not 8.
        assertThat(qos.capacity()).isEqualTo(4);
        assertThat(qos.reserve(100)).isEqualTo(4);
        assertThat(qos.reserve(1)).isZero();
        assertThat(qos.canConsume()).isFalse();
        qos.release(3); // the first fetch brought 3 messages, not 6
        assertThat(qos.reserved()).isEqualTo(5);
        assertThat(qos.capacity()).isEqualTo(3);
        qos.remove(1);
        assertThat(qos.reserve(10)).isEqualTo(4);
    }

    @Test
    void unlimitedPrefetchGrantsWhatIsAskedAndMisuseIsRefused() {
        QoS<String> qos = new QoS<>();
        assertThat(qos.reserve(100)).isEqualTo(100);
        qos.release(100);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> qos.appendReserved(1, "x"))
                .isInstanceOf(IllegalStateException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> qos.release(1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
