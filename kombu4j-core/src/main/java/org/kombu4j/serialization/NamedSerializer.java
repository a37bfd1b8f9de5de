package org.kombu4j.serialization;

/**
 * A serializer's identity under Kombu's names: its name, the content type it writes and reads, and the content
 * encoding it writes. What each built-in serializer has in common; it adds {@code encode} and {@code decode}.
 */
abstract class NamedSerializer implements Serializer {
    private final String name;
    private final String contentType;
    private final String contentEncoding;

    NamedSerializer(String name, String contentType, String contentEncoding) {
        this.name = name;
        this.contentType = contentType;
        this.contentEncoding = contentEncoding;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String contentType() {
        return contentType;
    }

    @Override
    public final String contentEncoding() {
        return contentEncoding;
    }
}
