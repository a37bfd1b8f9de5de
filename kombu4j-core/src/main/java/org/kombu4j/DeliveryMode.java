package org.kombu4j;

/** Whether a broker should keep a message on disk: Kombu's {@code delivery_mode} 2 and 1. */
public enum DeliveryMode {
    /** Kept on disk where the broker can (delivery_mode 1 is not used): Kombu's default, 2. */
    PERSISTENT(2),
    /** Memory only: 1. */
    TRANSIENT(1);

    private final int code;

    DeliveryMode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
