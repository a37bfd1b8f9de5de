package org.kombu4j.bench;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.kombu4j.MessageHandler;

/**
 * What a kombu4j consumer of a throughput scenario saw: the sequence numbers ({@link SequenceTracker}) and the
 * handler's failures, turned into the {@code missing}/{@code duplicates} fields and errors of a measurement.
 */
final class Received {
    /** Whether the handler acknowledges each message. */
    enum AckMode { ACK, NO_ACK }

    private final int expected;
    private final SequenceTracker seen;
    private final AtomicInteger handlerErrors = new AtomicInteger();
    private final AtomicReference<@Nullable String> firstError = new AtomicReference<>();

    Received(int expected) {
        this.expected = expected;
        this.seen = new SequenceTracker(expected);
    }

    /** A handler that records each body's sequence number, then acknowledges it unless the consumer is no-ack. */
    MessageHandler handler(AckMode mode) {
        return (body, msg) -> {
            try {
                seen.see(Bodies.seqOf(body));
                if (mode == AckMode.ACK) {
                    msg.ack();
                }
            } catch (RuntimeException e) {
                handlerErrors.incrementAndGet();
                firstError.compareAndSet(null, Measurement.describe(e));
            }
        };
    }

    int count() {
        return seen.received();
    }

    boolean incomplete() {
        return seen.received() < expected;
    }

    /** Missing/duplicate counts, and an error for handler failures, foreign messages or an incomplete run. */
    void report(Measurement m, Deadline deadline) {
        m.put("messages", expected).put("received", seen.received());
        m.put("missing", seen.missing()).put("duplicates", seen.duplicates());
        if (handlerErrors.get() > 0) {
            m.error(handlerErrors.get() + " handler errors, first: " + firstError.get());
        }
        if (seen.foreign() > 0) {
            m.error(seen.foreign() + " messages without a sequence number of this run");
        }
        if (!seen.complete()) {
            m.error("received " + seen.received() + " of " + expected + " messages before the deadline of "
                    + deadline.budget().toSeconds() + " s");
        }
    }
}
