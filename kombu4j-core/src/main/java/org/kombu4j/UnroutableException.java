package org.kombu4j;

/** A mandatory publish reached no queue and the broker returned it. */
public class UnroutableException extends KombuException {
    private static final long serialVersionUID = 1L;

    public UnroutableException(String message) {
        super(message);
    }
}
