package org.kombu4j;

/** {@link EventLoop} waited its timeout with no event and was told not to ignore timeouts (Kombu's {@code socket.timeout}). */
public class DrainTimeoutException extends KombuException {
    private static final long serialVersionUID = 1L;

    public DrainTimeoutException(String message) {
        super(message);
    }
}
