package org.kombu4j;

/** A message was acknowledged, rejected or requeued after it had already been settled. */
public class MessageStateException extends KombuException {
    private static final long serialVersionUID = 1L;

    public MessageStateException(String message) {
        super(message);
    }
}
