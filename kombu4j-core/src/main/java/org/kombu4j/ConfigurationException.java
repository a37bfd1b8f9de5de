package org.kombu4j;

import java.time.Duration;
import java.util.Objects;
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

    /**
     * The one check of a time option that may be zero but not negative, for the builders of this package.
     *
     * @param what the option's name, for the messages
     * @return {@code value}
     */
    static Duration requireNonNegative(Duration value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isNegative()) {
            throw new ConfigurationException(what + " must not be negative, got " + value);
        }
        return value;
    }
}
