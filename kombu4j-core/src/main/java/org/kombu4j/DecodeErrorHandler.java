package org.kombu4j;

/**
 * Called when a message cannot be decoded: undecodable body, unknown compression, or a content type
 * outside the accept list. The handler decides the message's fate (ack, reject, requeue).
 */
@FunctionalInterface
public interface DecodeErrorHandler {
    void onDecodeError(Message message, DecodeException error);
}
