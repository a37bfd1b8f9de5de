package org.kombu4j.transport;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A message as it travels: body bytes (serialized and maybe compressed), content type and encoding,
 * application headers and properties under Kombu's names ({@code priority}, {@code delivery_mode},
 * {@code correlation_id}, {@code reply_to}, {@code expiration}, {@code message_id}, ...).
 * Immutable; the maps are unmodifiable copies.
 */
public final class RawMessage {
    private final byte[] body;
    private final @Nullable String contentType;
    private final @Nullable String contentEncoding;
    private final Map<String, Object> headers;
    private final Map<String, Object> properties;

    public RawMessage(byte[] body, @Nullable String contentType, @Nullable String contentEncoding,
            Map<String, ?> headers, Map<String, ?> properties) {
        this.body = Objects.requireNonNull(body, "body");
        this.contentType = contentType;
        this.contentEncoding = contentEncoding;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    }

    /** The body bytes as sent (compressed if {@code headers.compression} is set). Do not modify the array. */
    public byte[] body() {
        return body;
    }

    public @Nullable String contentType() {
        return contentType;
    }

    public @Nullable String contentEncoding() {
        return contentEncoding;
    }

    public Map<String, Object> headers() {
        return headers;
    }

    public Map<String, Object> properties() {
        return properties;
    }

    /** The {@code priority} property, or 0. */
    public int priority() {
        Object p = properties.get("priority");
        if (p instanceof Number) {
            return ((Number) p).intValue();
        }
        return 0;
    }
}
