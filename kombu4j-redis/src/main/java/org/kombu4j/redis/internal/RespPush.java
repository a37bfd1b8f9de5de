package org.kombu4j.redis.internal;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** An out-of-band RESP3 push ({@code >}): invalidations and pub/sub messages. */
public record RespPush(List<Object> items) {
    /** The kind of a client-side-caching invalidation push. */
    public static final String INVALIDATE = "invalidate";
    /** The kind of a message received through a pattern subscription. */
    public static final String PMESSAGE = "pmessage";

    /** The push kind, e.g. {@code invalidate}, {@code pmessage}, {@code psubscribe}. */
    public String kind() {
        return items.isEmpty() ? "" : Resp.text(items.get(0));
    }

    /**
     * The keys an {@code invalidate} push names, or null when it names none (a flush: everything
     * changed).
     */
    public @Nullable List<Object> invalidatedKeys() {
        Object ks = items.size() > 1 ? items.get(1) : null;
        return ks instanceof List ? Resp.array(ks) : null;
    }
}
