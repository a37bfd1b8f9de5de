package org.kombu4j.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ShutdownSignalException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.jspecify.annotations.Nullable;
import org.kombu4j.transport.OutgoingMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks the publisher confirms of one AMQP channel: each publish registers its sequence number and
 * waits on a future that the broker's {@code basic.ack}/{@code basic.nack} completes, so several
 * threads' publishes pipeline while each caller learns the fate of its own message.
 *
 * <p>Mandatory publishes that no queue takes come back as {@code basic.return}, which RabbitMQ sends
 * before the {@code basic.ack} of the same message on the same connection thread; it is matched to the
 * oldest outstanding mandatory publish ({@link ConfirmTracker#isReturnOf}), which is then reported
 * unroutable when its ack arrives.
 */
final class PublisherConfirms implements ConfirmTracker {
    private static final Logger log = LoggerFactory.getLogger(PublisherConfirms.class);

    /** How a publish ended. */
    enum Outcome { CONFIRMED, RETURNED, NACKED, CHANNEL_CLOSED }

    /** The outcome and, for returns and closes, what the broker said. */
    record Result(Outcome outcome, String detail, @Nullable ShutdownSignalException cause) {
    }

    private static final class Pending {
        final OutgoingMessage message;
        final CompletableFuture<Result> future = new CompletableFuture<>();
        volatile @Nullable String returnedBecause;

        Pending(OutgoingMessage message) {
            this.message = message;
        }
    }

    private final ConcurrentNavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
    private volatile @Nullable ShutdownSignalException shutdown;

    /** Registers a publish about to be sent with sequence number {@code seq}; call before basicPublish. */
    CompletableFuture<Result> register(long seq, OutgoingMessage message) {
        Pending p = new Pending(message);
        pending.put(seq, p);
        ShutdownSignalException s = shutdown;
        if (s != null) {
            // The channel died between the caller's open check and now: fail at once, not after the timeout.
            complete(seq, p, new Result(Outcome.CHANNEL_CLOSED, s.getMessage(), s));
        }
        return p.future;
    }

    /** Forgets a publish that timed out or failed to send. */
    @Override
    public void forget(long seq) {
        pending.remove(seq);
    }

    int outstanding() {
        return pending.size();
    }

    @Override
    public void settle(long tag, boolean multiple, Verdict verdict) {
        if (multiple) {
            ConcurrentNavigableMap<Long, Pending> head = pending.headMap(tag, true);
            for (Map.Entry<Long, Pending> e : head.entrySet()) {
                complete(e.getKey(), e.getValue(), result(e.getValue(), verdict));
            }
        } else {
            Pending p = pending.get(tag);
            if (p != null) {
                complete(tag, p, result(p, verdict));
            }
        }
    }

    private static Result result(Pending p, Verdict verdict) {
        if (verdict == Verdict.NACK) {
            return new Result(Outcome.NACKED, "the broker nacked the message (internal error or queue limits)", null);
        }
        String why = p.returnedBecause;
        return why == null ? new Result(Outcome.CONFIRMED, "", null) : new Result(Outcome.RETURNED, why, null);
    }

    private void complete(long seq, Pending p, Result r) {
        pending.remove(seq, p);
        p.future.complete(r);
    }

    @Override
    public void handleReturn(int replyCode, String replyText, String exchange, String routingKey,
            AMQP.BasicProperties properties, byte[] body) {
        for (Pending p : pending.values()) {
            OutgoingMessage m = p.message;
            if (p.returnedBecause == null && ConfirmTracker.isReturnOf(m, exchange, routingKey, body)) {
                p.returnedBecause = replyText + " (" + replyCode + ")";
                return;
            }
        }
        log.warn("message to exchange '{}' with routing key '{}' was returned unroutable ({} {}) and no publish was"
                + " waiting for it (confirm_publish is off?)", exchange, routingKey, replyCode, replyText);
    }

    /** The channel closed: every waiting publish fails now instead of timing out. */
    @Override
    public void channelClosed(ShutdownSignalException cause) {
        shutdown = cause;
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            complete(e.getKey(), e.getValue(), new Result(Outcome.CHANNEL_CLOSED, cause.getMessage(), cause));
        }
    }
}
