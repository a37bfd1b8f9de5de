package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** A body could not be decompressed or deserialized for its declared content type and encoding. */
public class DecodeException extends KombuException {
    private static final long serialVersionUID = 1L;

    public DecodeException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
