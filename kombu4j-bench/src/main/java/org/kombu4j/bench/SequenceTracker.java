package org.kombu4j.bench;

import java.util.BitSet;

/**
 * Counts which sequence numbers {@code 0..expected-1} arrived, and how many arrived twice or were
 * out of range. Confined to the consuming thread.
 */
final class SequenceTracker {
    private final int expected;
    private final BitSet seen;
    private int received;
    private int duplicates;
    private int foreign;

    SequenceTracker(int expected) {
        this.expected = expected;
        this.seen = new BitSet(expected);
    }

    void see(int seq) {
        received++;
        if (seq < 0 || seq >= expected) {
            foreign++;
        } else if (seen.get(seq)) {
            duplicates++;
        } else {
            seen.set(seq);
        }
    }

    int received() {
        return received;
    }

    int missing() {
        return expected - seen.cardinality();
    }

    int duplicates() {
        return duplicates;
    }

    /** Messages with no sequence number in range: not ours, or corrupted. */
    int foreign() {
        return foreign;
    }

    boolean complete() {
        return seen.cardinality() == expected;
    }
}
