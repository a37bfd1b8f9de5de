package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** Called with each message's decoded body and the message (to ack, reject, read headers). */
@FunctionalInterface
public interface MessageHandler {
    void onMessage(@Nullable Object body, Message message);
}
