package org.kombu4j;

import org.jspecify.annotations.Nullable;

/**
 * A connection or channel fault that a retry may cure: broker unreachable, socket closed, timed out.
 * {@link RetryPolicy} and {@link Connection#ensure} retry exactly these.
 */
public class OperationalException extends KombuException {
    private static final long serialVersionUID = 1L;

    public OperationalException(String message) {
        super(message);
    }

    public OperationalException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
