package org.kombu4j;

import org.jspecify.annotations.Nullable;

/**
 * Root of every exception kombu4j throws. Unchecked: broker faults are not something a caller can
 * be forced to handle at each call site. Subtypes name the faults worth catching.
 */
public class KombuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KombuException(String message) {
        super(message);
    }

    public KombuException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
