package org.kombu4j.bench;

import java.util.Map;
import org.kombu4j.BrokerUrl;

/**
 * How {@code publish-async} asks a transport for pipelined publishing: through a transport option
 * in the URL's query, named per scheme. Transports without one (today every transport, including
 * {@code memory://}, whose publish is already a local call) run {@code publish-async} exactly like
 * {@code publish}.
 *
 * <p>Hook for transport modules: add the scheme and its option to {@link #OPTION_BY_SCHEME} (for
 * example the Redis transport's pipelining option, or publisher confirms off for AMQP).
 */
final class AsyncPublish {
    /** Scheme → transport option (set to {@code true}) that turns on pipelined publishing. */
    static final Map<String, String> OPTION_BY_SCHEME = Map.of("redis", "publish_pipeline", "rediss", "publish_pipeline");

    private AsyncPublish() {
    }

    /** The transport option for {@code url}'s scheme, or null. */
    static @org.jspecify.annotations.Nullable String option(String url) {
        return OPTION_BY_SCHEME.get(BrokerUrl.parse(url.split(";")[0]).scheme());
    }

    /** {@code url} with the pipelining option added, or unchanged if its transport has none. */
    static String urlFor(String url) {
        String opt = option(url);
        if (opt == null || url.contains(opt + "=")) {
            return url;
        }
        return url + (url.contains("?") ? "&" : "?") + opt + "=true";
    }

    /** What {@code publish-async} does on {@code url}, for the {@code publish_mode} field. */
    static String mode(String url) {
        String opt = option(url);
        return opt == null ? "sync" : "pipelined:" + opt;
    }
}
