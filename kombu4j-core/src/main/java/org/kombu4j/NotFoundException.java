package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** A passive declare (or an operation on a named entity) found no such queue or exchange. */
public class NotFoundException extends KombuException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }

    public NotFoundException(String message, @Nullable Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
    }
}
