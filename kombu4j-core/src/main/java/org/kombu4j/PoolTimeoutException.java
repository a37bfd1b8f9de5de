package org.kombu4j;

/** Every pooled resource was in use and none came back within the acquire timeout. */
public class PoolTimeoutException extends KombuException {
    private static final long serialVersionUID = 1L;

    public PoolTimeoutException(String message) {
        super(message);
    }
}
