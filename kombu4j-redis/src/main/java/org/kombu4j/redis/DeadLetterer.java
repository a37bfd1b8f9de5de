package org.kombu4j.redis;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kombu4j.DecodeException;
import org.kombu4j.transport.DeadLetters;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;
import org.kombu4j.transport.virtual.Envelope;

/**
 * Dead-lettering for one {@link RedisChannel}, emulated as RabbitMQ does it: a message rejected without
 * requeue, given up for a reason ({@link DeadLetters}), or delivered when it has gone back to its queue
 * more than the queue's {@code x-delivery-limit} times ({@link DeliveryCount}) is published to the
 * queue's dead-letter exchange (routed by its bindings, with the dead-letter routing key or its own)
 * with {@link DeadLetters#record} headers, in one MULTI/EXEC with the removal of its {@code unacked}
 * records: it is in one place or the other, never both, never neither. Without a dead-letter exchange
 * it is dropped, as RabbitMQ drops it.
 */
final class DeadLetterer {
    private final RedisTransport transport;
    private final RedisPublisher publisher;
    private final UnackedDeliveries unacked;

    DeadLetterer(RedisTransport transport, RedisPublisher publisher, UnackedDeliveries unacked) {
        this.transport = transport;
        this.publisher = publisher;
        this.unacked = unacked;
    }

    /** Whether a message of {@code queue} went back to it more times than the queue's delivery limit. */
    boolean overLimit(String queue, byte[] envelope) {
        Integer limit = transport.queueArguments().of(queue).deliveryLimit();
        return limit != null && DeliveryCount.of(envelope) > limit;
    }

    /** Dead-letters a delivery taken out of this channel's unsettled ones (see {@link UnackedDeliveries#take}). */
    void deadLetter(UnackedDeliveries.Held held, String reason) {
        QueueArguments.Args args = transport.queueArguments().of(held.queue());
        if (args.exchange() != null) {
            Envelope.Decoded d;
            try {
                d = Envelope.decode(held.envelope());
            } catch (DecodeException e) {
                // Not a Kombu envelope: its bytes are the body, so the dead letter still shows what arrived.
                d = new Envelope.Decoded(new RawMessage(held.envelope(), null, null, Map.of(), Map.of()), "", "", false, held.tag());
            }
            RawMessage m = d.message();
            Map<String, Object> headers = new LinkedHashMap<>(m.headers());
            // A dead letter starts afresh in its new queue: not redelivered, not yet returned.
            headers.remove("redelivered");
            headers.remove(DeliveryCount.HEADER);
            headers = DeadLetters.record(headers, reason, held.queue(), d.exchange(), d.routingKey(),
                    Instant.ofEpochMilli(transport.clock().millis()));
            String routingKey = args.routingKey() != null ? args.routingKey() : d.routingKey();
            OutgoingMessage letter = new OutgoingMessage(args.exchange(), routingKey,
                    new RawMessage(m.body(), m.contentType(), m.contentEncoding(), headers, m.properties()), false);
            java.util.function.Consumer<OutgoingMessage> sink = transport.deadLetterSink();
            if (sink == null) {
                publisher.publishWith(letter, held.tag().isEmpty() ? List.of() : unacked.forgetCommands(List.of(held.tag())));
                return;
            }
            // layout=queue: the letter's queues may live on other masters, so it cannot share a MULTI with
            // the record's removal; published first, a crash in between leaves both (at least once).
            sink.accept(letter);
            if (!held.tag().isEmpty()) {
                unacked.forget(held.tag());
                unacked.flushAcks();
            }
        } else if (!held.tag().isEmpty()) {
            unacked.forget(held.tag());
            unacked.flushAcks();
        }
    }
}
