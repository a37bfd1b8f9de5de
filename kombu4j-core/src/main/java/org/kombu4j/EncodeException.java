package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** A body could not be serialized or compressed, or named an unknown serializer or compressor. */
public class EncodeException extends KombuException {
    private static final long serialVersionUID = 1L;

    public EncodeException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
