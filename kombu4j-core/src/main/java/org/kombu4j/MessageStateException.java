package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** A message was acknowledged, rejected or requeued after it had already been settled. */
public class MessageStateException extends KombuException {
    private static final long serialVersionUID = 1L;

    public MessageStateException(String message) {
        super(message);
    }

    public MessageStateException(String message, @Nullable Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
    }
}
