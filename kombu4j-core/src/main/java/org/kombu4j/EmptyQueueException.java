package org.kombu4j;

/** {@link SimpleQueue#get} found no message within its timeout (Kombu's {@code Empty}). */
public class EmptyQueueException extends KombuException {
    private static final long serialVersionUID = 1L;

    public EmptyQueueException(String message) {
        super(message);
    }
}
