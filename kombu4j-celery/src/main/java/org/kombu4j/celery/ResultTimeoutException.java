package org.kombu4j.celery;

import org.kombu4j.KombuException;

/** No result arrived within the time given to {@link AsyncResult#get(java.time.Duration)}. */
public final class ResultTimeoutException extends KombuException {
    private static final long serialVersionUID = 1L;

    public ResultTimeoutException(String message) {
        super(message);
    }
}
