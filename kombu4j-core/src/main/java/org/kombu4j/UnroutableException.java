package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** A mandatory publish reached no queue and the broker returned it. */
public class UnroutableException extends KombuException {
    private static final long serialVersionUID = 1L;

    public UnroutableException(String message) {
        super(message);
    }

    public UnroutableException(String message, @Nullable Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
    }
}
