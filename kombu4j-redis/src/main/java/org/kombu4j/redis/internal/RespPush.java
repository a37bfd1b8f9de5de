package org.kombu4j.redis.internal;

import java.util.List;

/** An out-of-band RESP3 push ({@code >}): invalidations and pub/sub messages. */
public record RespPush(List<Object> items) {
    /** The push kind, e.g. {@code invalidate}, {@code pmessage}, {@code psubscribe}. */
    public String kind() {
        return items.isEmpty() ? "" : Resp.text(items.get(0));
    }
}
