package org.kombu4j.transport;

import java.util.AbstractMap;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
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
        this.headers = frozen(headers);
        this.properties = frozen(properties);
    }

    /**
     * An unmodifiable copy, unless {@code map} is one this class made already (then it is shared: it cannot
     * change). Publishing with no headers and the usual properties then copies nothing per message.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> frozen(Map<String, ?> map) {
        if (map instanceof Frozen || map == EMPTY) {
            return (Map<String, Object>) map;
        }
        if (map.isEmpty()) {
            return EMPTY;
        }
        return new Frozen(new LinkedHashMap<>(map));
    }

    private static final Map<String, Object> EMPTY = Collections.emptyMap();

    /** An unmodifiable insertion-ordered map whose class marks it as made here. */
    private static final class Frozen extends AbstractMap<String, Object> {
        private final Map<String, Object> map;
        private final Map<String, Object> view;

        Frozen(LinkedHashMap<String, Object> map) {
            this.map = map;
            this.view = Collections.unmodifiableMap(map);
        }

        @Override
        public Object get(Object key) {
            return map.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return map.containsKey(key);
        }

        @Override
        public int size() {
            return map.size();
        }

        @Override
        public boolean isEmpty() {
            return map.isEmpty();
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return view.entrySet();
        }

        @Override
        public Set<String> keySet() {
            return view.keySet();
        }

        @Override
        public Collection<Object> values() {
            return view.values();
        }

        @Override
        public void forEach(BiConsumer<? super String, ? super Object> action) {
            map.forEach(action);
        }
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
