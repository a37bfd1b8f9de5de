package org.kombu4j.redis.internal;

import org.kombu4j.OperationalException;

/**
 * The server sent bytes that are not RESP (or exceed a size limit). The connection is unusable
 * afterwards: its owner closes it, and the error is retryable on a new connection.
 */
public final class RespProtocolException extends OperationalException {
    private static final long serialVersionUID = 1L;

    public RespProtocolException(String message) {
        super(message);
    }
}
