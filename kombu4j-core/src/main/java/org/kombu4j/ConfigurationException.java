package org.kombu4j;

import org.jspecify.annotations.Nullable;

/** Bad input from the caller: a malformed URL, an unknown scheme, an invalid option value. */
public class ConfigurationException extends KombuException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
