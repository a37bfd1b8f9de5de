package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.kombu4j.MessageStateException;

/** The tag bookkeeping behind coalesced acks, against a model of RabbitMQ's settling rules. */
class DeliveryTagsTest {

    /** Settles like RabbitMQ: a multiple ack takes every outstanding tag up to N; an unknown tag is a channel error. */
    private static final class Broker implements DeliveryTags.Wire {
        final TreeSet<Long> outstanding = new TreeSet<>();
        final Map<Long, String> fate = new HashMap<>();
        final List<String> frames = new ArrayList<>();
        long next = 1;

        long deliver() {
            outstanding.add(next);
            return next++;
        }

        @Override
        public void ack(long amqpTag, boolean multiple) {
            frames.add((multiple ? "ack*" : "ack") + amqpTag);
            if (multiple) {
                for (Long t : new ArrayList<>(outstanding.headSet(amqpTag, true))) {
                    outstanding.remove(t);
                    fate.put(t, "ack");
                }
            } else {
                settle(amqpTag, "ack");
            }
        }

        @Override
        public void reject(long amqpTag, boolean requeue) {
            frames.add((requeue ? "requeue" : "reject") + amqpTag);
            settle(amqpTag, requeue ? "requeue" : "reject");
        }

        private void settle(long t, String how) {
            if (!outstanding.remove(t)) {
                throw new AssertionError("PRECONDITION_FAILED - unknown delivery tag " + t + " after " + frames);
            }
            fate.put(t, how);
        }
    }

    private final Broker broker = new Broker();
    private final DeliveryTags tags = new DeliveryTags();

    private long deliver() {
        return tags.issue(0, broker.deliver(), false);
    }

    @Test
    void aRunOfAcksBelowEveryUnackedTagIsOneMultipleAck() throws Exception {
        long a = deliver();
        long b = deliver();
        long c = deliver();
        tags.ackLater(a, 0);
        tags.ackLater(c, 0);
        tags.ackLater(b, 0);
        tags.flush(0, broker);
        assertThat(broker.frames).containsExactly("ack*3");
        assertThat(broker.outstanding).isEmpty();
    }

    @Test
    void acksAboveAnUnackedTagGoSingly() throws Exception {
        long a = deliver();
        long b = deliver();
        long c = deliver();
        tags.ackLater(b, 0);
        tags.ackLater(c, 0);
        tags.flush(0, broker);
        assertThat(broker.frames).containsExactly("ack2", "ack3");
        assertThat(broker.outstanding).containsExactly(1L);
        tags.ack(a, 0, broker);
        assertThat(broker.outstanding).isEmpty();
    }

    @Test
    void aRejectedTagIsNeverCoveredByALaterMultipleAck() throws Exception {
        long a = deliver();
        long b = deliver();
        long c = deliver();
        tags.ackLater(b, 0);
        tags.ackLater(c, 0);
        tags.reject(a, 0, true, broker);
        tags.flush(0, broker);
        assertThat(broker.fate).containsEntry(1L, "requeue").containsEntry(2L, "ack").containsEntry(3L, "ack");
        assertThat(broker.frames).containsExactly("requeue1", "ack*3");
    }

    @Test
    void aTagNotSeenYetStopsTheRun() throws Exception {
        long a = deliver();
        long b = deliver();
        long inFlight = broker.deliver(); // e.g. still in the client's consumer queue while a basic.get took the next
        long d = deliver();
        tags.ackLater(a, 0);
        tags.ackLater(b, 0);
        tags.ackLater(d, 0);
        tags.flush(0, broker);
        assertThat(broker.frames).containsExactly("ack*2", "ack4");
        assertThat(broker.outstanding).containsExactly(inFlight);
        long c = tags.issue(0, inFlight, false);
        tags.ack(c, 0, broker);
        assertThat(broker.outstanding).isEmpty();
    }

    @Test
    void noAckDeliveriesDoNotStopTheRun() throws Exception {
        tags.issue(0, broker.next++, true);
        long b = deliver();
        long c = deliver();
        tags.ackLater(b, 0);
        tags.ackLater(c, 0);
        tags.flush(0, broker);
        assertThat(broker.frames).containsExactly("ack*3");
    }

    @Test
    void refusesTagsSettledOrFromAnotherGeneration() throws Exception {
        long a = deliver();
        tags.ackLater(a, 0);
        assertThatThrownBy(() -> tags.ackLater(a, 0)).isInstanceOf(MessageStateException.class);
        assertThatThrownBy(() -> tags.reject(a, 0, true, broker)).isInstanceOf(MessageStateException.class);
        assertThat(broker.frames).containsExactly("ack1"); // the pending ack went out as the reject let go
        long b = deliver();
        long c = deliver();
        tags.ackLater(c, 0);
        assertThatThrownBy(() -> tags.ack(b, 1, broker)).isInstanceOf(MessageStateException.class);
        tags.clear();
        assertThatThrownBy(() -> tags.ack(b, 0, broker)).isInstanceOf(MessageStateException.class);
        tags.flush(0, broker);
        assertThat(broker.frames).containsExactly("ack1"); // cleared: the channel c belonged to is gone
    }

    @Test
    void recoverWritesPendingAcksFirstAndVoidsTheRest() throws Exception {
        long a = deliver();
        long b = deliver();
        tags.ackLater(a, 0);
        List<Long> voided = tags.recover(0, broker, () -> {
            broker.frames.add("recover");
            broker.outstanding.clear();
        });
        assertThat(broker.frames).containsExactly("ack1", "recover");
        assertThat(voided).containsExactly(b);
        assertThatThrownBy(() -> tags.ack(b, 0, broker)).isInstanceOf(MessageStateException.class);
        long c = deliver(); // the redelivery has a new tag, acknowledged as usual
        tags.ack(c, 0, broker);
        assertThat(broker.outstanding).isEmpty();
    }

    /** Threads that give way to a writer are written by it: no ack is left pending once all have returned. */
    @Test
    void acksOfThreadsThatGiveWayAreWrittenByTheWriter() throws Exception {
        for (int round = 0; round < 50; round++) {
            Broker br = new Broker();
            DeliveryTags t = new DeliveryTags();
            List<Long> issued = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                issued.add(t.issue(0, br.deliver(), false));
            }
            DeliveryTags.Wire wire = new DeliveryTags.Wire() {
                @Override
                public synchronized void ack(long amqpTag, boolean multiple) {
                    br.ack(amqpTag, multiple);
                }

                @Override
                public synchronized void reject(long amqpTag, boolean requeue) {
                    br.reject(amqpTag, requeue);
                }
            };
            List<Thread> threads = new ArrayList<>();
            java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
            for (int k = 0; k < 4; k++) {
                int first = k;
                threads.add(new Thread(() -> {
                    try {
                        for (int i = first; i < issued.size(); i += 4) {
                            t.ackLater(issued.get(i), 0);
                            t.flushIfFree(0, wire);
                        }
                    } catch (Throwable e) {
                        failed.set(e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread th : threads) {
                th.join();
            }
            assertThat(failed.get()).isNull();
            assertThat(t.hasPending()).as("round %d", round).isFalse();
            assertThat(br.outstanding).as("round %d", round).isEmpty();
        }
    }

    /** Random deliveries, acks now and later, rejects and requeues, flushes: every message ends as asked. */
    @Test
    void randomInterleavingsSettleEachMessageAsAsked() throws Exception {
        Random rnd = new Random(17);
        for (int round = 0; round < 300; round++) {
            Broker br = new Broker();
            DeliveryTags t = new DeliveryTags();
            Map<Long, String> asked = new HashMap<>();
            List<Long> held = new ArrayList<>();
            List<Long> inFlight = new ArrayList<>(); // delivered by the broker, not yet issued here
            for (int step = 0; step < 200; step++) {
                int op = rnd.nextInt(10);
                if (op < 3) {
                    inFlight.add(br.deliver());
                } else if (op < 4 && !inFlight.isEmpty()) {
                    // Mostly in order, sometimes a later one first (a get racing the consumer).
                    int i = rnd.nextInt(4) == 0 ? rnd.nextInt(inFlight.size()) : 0;
                    held.add(t.issue(0, inFlight.remove(i), false));
                } else if (op < 9 && !held.isEmpty()) {
                    long tag = held.remove(rnd.nextInt(held.size()));
                    long amqp = DeliveryTags.amqpTag(tag);
                    switch (rnd.nextInt(4)) {
                        case 0 -> {
                            t.ack(tag, 0, br);
                            asked.put(amqp, "ack");
                        }
                        case 1 -> {
                            boolean requeue = rnd.nextBoolean();
                            t.reject(tag, 0, requeue, br);
                            asked.put(amqp, requeue ? "requeue" : "reject");
                        }
                        default -> {
                            t.ackLater(tag, 0);
                            asked.put(amqp, "ack");
                        }
                    }
                } else {
                    t.flush(0, br);
                }
            }
            t.flush(0, br);
            for (Map.Entry<Long, String> e : asked.entrySet()) {
                assertThat(br.fate.get(e.getKey())).as("tag %d in round %d", e.getKey(), round).isEqualTo(e.getValue());
            }
            for (long tag : held) {
                assertThat(br.outstanding).as("round %d", round).contains(DeliveryTags.amqpTag(tag));
            }
            assertThat(br.outstanding).hasSize(held.size() + inFlight.size());
        }
    }
}
