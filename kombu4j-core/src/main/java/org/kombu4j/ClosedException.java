package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** An operation was attempted on a connection, channel, consumer, pool or hub that was closed. */
public class ClosedException extends KombuException {
    private static final long serialVersionUID = 1L;

    public ClosedException(String message) {
        super(message);
    }

    public ClosedException(String message, @Nullable Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
    }
}
