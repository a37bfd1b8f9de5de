package org.kombu4j;

import org.jspecify.annotations.Nullable;

/**
 * The broker refused the credentials, the virtual host or database, or a permission. Retrying will
 * not help (hence a {@link ConfigurationException}), but unlike a malformed URL or option it is the
 * broker's answer, not bad input kombu4j could reject on its own.
 */
public class AccessRefusedException extends ConfigurationException {
    private static final long serialVersionUID = 1L;

    public AccessRefusedException(String message) {
        super(message);
    }

    public AccessRefusedException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
