package org.kombu4j.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The bounded spin of synchronous calls: its setting. (Its effect is shown by {@code kombu4j bench celery-send}.) */
class SyncCallsSpinTest {
    @Test
    void defaultWhenUnset() {
        assertEquals(SyncCalls.DEFAULT_SPIN_MICROS * 1000, SyncCalls.spinNanos(null));
        assertEquals(SyncCalls.DEFAULT_SPIN_MICROS * 1000, SyncCalls.spinNanos(" "));
    }

    @Test
    void microsecondsOrZero() {
        assertEquals(0, SyncCalls.spinNanos("0"));
        assertEquals(20_000, SyncCalls.spinNanos(" 20 "));
    }

    @Test
    void badValueNamesTheProperty() {
        for (String bad : new String[] {"-1", "abc", "10001", "1.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyncCalls.spinNanos(bad));
            assertTrue(e.getMessage().contains(SyncCalls.SPIN_PROPERTY) && e.getMessage().contains("'" + bad + "'"),
                    e.getMessage());
        }
    }
}
