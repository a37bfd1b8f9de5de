package org.kombu4j.bench;

import java.util.Map;
import org.kombu4j.BrokerUrl;

/**
 * How {@code publish-async} asks a transport for pipelined publishing: through a transport option
 * in the URL's query, named per scheme. AMQP uses {@code confirm_publish=async} (publisher confirms
 * tracked in a window; the run is timed until every confirm arrived). Transports without one
 * (including {@code memory://}, whose publish is already a local call) run {@code publish-async}
 * exactly like {@code publish}. An option already in the URL is left as given.
 *
 * <p>Hook for transport modules: add the scheme and its {@code option=value} to
 * {@link #OPTION_BY_SCHEME}. Redis uses {@code publish_pipeline=16} (at most 16 publishes awaiting their reply); the
 * SQL schemes {@code publish_pipeline=}{@value #SQL_PIPELINE} (batched INSERTs, {@value #SQL_PIPELINE} in flight), also
 * behind {@code sqla+}/{@code sqlalchemy+} and with a {@code +driver} suffix.
 */
final class AsyncPublish {
    /** Scheme → the transport option, as {@code name=value}, that turns on pipelined publishing. */
    static final Map<String, String> OPTION_BY_SCHEME = Map.of(
            "amqp", "confirm_publish=async",
            "amqps", "confirm_publish=async",
            "pyamqp", "confirm_publish=async",
            "redis", "publish_pipeline=16",
            "rediss", "publish_pipeline=16");

    /** Publishes in flight for the SQL transport's {@code publish_pipeline}; the JDBC peer batches as many. */
    static final int SQL_PIPELINE = 64;

    private AsyncPublish() {
    }

    /** The transport option for {@code url}'s scheme, or null. */
    static @org.jspecify.annotations.Nullable String option(String url) {
        String first = url.split(";")[0];
        int sep = first.indexOf("://");
        if (sep > 0 && SqlTarget.dialectOf(first.substring(0, sep)) != null) {
            return "publish_pipeline=" + SQL_PIPELINE;
        }
        return OPTION_BY_SCHEME.get(BrokerUrl.parse(first).scheme());
    }

    /** {@code url} with the pipelining option added, or unchanged if its transport has none. */
    static String urlFor(String url) {
        String opt = option(url);
        if (opt == null || url.contains(opt.substring(0, opt.indexOf('=') + 1))) {
            return url;
        }
        return url + (url.contains("?") ? "&" : "?") + opt;
    }

    /** What {@code publish-async} does on {@code url}, for the {@code publish_mode} field. */
    static String mode(String url) {
        String opt = option(url);
        return opt == null ? "sync" : "pipelined:" + opt;
    }
}
