package org.kombu4j;

import org.jspecify.annotations.Nullable;

/**
 * Called with each message's decoded body and the message (to ack, reject, read headers), on the
 * thread that drains events (or the hub's; a {@link Worker}'s handler threads).
 *
 * <p>If it throws, its consumer applies its {@link HandlerFailure} policy, the same on every
 * transport ({@link Consumer.Builder#onHandlerFailure}): by default {@link HandlerFailure#STOP}, the
 * consumer stops consuming, the message stays unacknowledged (back to its queue, marked
 * redelivered, when the consumer closes) and {@link Connection#drainEvents} throws a
 * {@link HandlerFailedException} with the exception as its cause, which ends
 * {@link ConsumerLoop#run()}; {@link HandlerFailure#REQUEUE} and {@link HandlerFailure#REJECT}
 * settle the message so, log the failure and go on.
 */
@FunctionalInterface
public interface MessageHandler {
    void onMessage(@Nullable Object body, Message message);
}
