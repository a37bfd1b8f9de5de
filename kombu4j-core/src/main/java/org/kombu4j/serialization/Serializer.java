package org.kombu4j.serialization;

import org.jspecify.annotations.Nullable;

/**
 * Turns a message body into bytes and back, under one Kombu serializer name and content type.
 * Implementations are stateless and thread-safe.
 */
public interface Serializer {
    /** Kombu's name, e.g. {@code json}. */
    String name();

    /** The content type it writes and reads, e.g. {@code application/json}. */
    String contentType();

    /** The content encoding it writes: {@code utf-8} for text formats, {@code binary} otherwise. */
    String contentEncoding();

    /** Serializes {@code body}; throws {@link org.kombu4j.EncodeException} if it cannot. */
    byte[] encode(@Nullable Object body);

    /** Deserializes {@code data}; throws {@link org.kombu4j.DecodeException} naming the content type if it cannot. */
    @Nullable Object decode(byte[] data);
}
