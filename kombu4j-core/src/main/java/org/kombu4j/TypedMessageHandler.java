package org.kombu4j;

import org.jspecify.annotations.Nullable;

/**
 * Called with each message's body converted into the class the consumer asked for
 * ({@link Consumer.Builder#onMessage(Class, TypedMessageHandler)}), and the message (to ack, reject, read headers).
 * A body that does not fit the class never gets here: it is a decode error. A JSON {@code null} body arrives as null.
 * Failures are handled as {@link MessageHandler}'s are.
 *
 * @param <T> the body's class
 */
@FunctionalInterface
public interface TypedMessageHandler<T> {
    void onMessage(@Nullable T body, Message message);
}
