package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** An entity was redeclared with different properties, or a broker refused an operation's preconditions. */
public class PreconditionFailedException extends KombuException {
    private static final long serialVersionUID = 1L;

    public PreconditionFailedException(String message) {
        super(message);
    }

    public PreconditionFailedException(String message, @Nullable Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
    }
}
