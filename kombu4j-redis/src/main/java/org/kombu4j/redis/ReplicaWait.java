package org.kombu4j.redis;

import java.time.Duration;
import java.util.List;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;
import org.kombu4j.transport.UrlOptions;

/**
 * kombu4j's own {@code wait_replicas} and {@code wait_timeout} options: after each publish, {@code WAIT
 * <replicas> <timeout>} on the command connection, so that a publish is acknowledged only once that many
 * replicas hold it — and survives a Sentinel failover to one of them. Off by default ({@code wait_replicas=0}),
 * as in Kombu: it costs a replication round trip per publish, and without replicas it could never succeed.
 *
 * @param replicas how many replicas must acknowledge (0 = no WAIT)
 * @param timeout how long WAIT may take ({@code wait_timeout}, 1 s); fewer acknowledgements by then fail the publish
 */
record ReplicaWait(int replicas, Duration timeout) {
    static final List<String> OPTIONS = List.of("wait_replicas", "wait_timeout");

    static ReplicaWait from(BrokerUrl url, RedisOptions options) {
        // RedisOptions has checked the names already.
        UrlOptions o = UrlOptions.of(url, "Redis", url.options().keySet());
        int replicas = o.integer("wait_replicas", 0, 0, 1000);
        Duration timeout = o.seconds("wait_timeout", Duration.ofSeconds(1), Duration.ofDays(1));
        if (replicas > 0 && timeout.isZero()) {
            // WAIT n 0 blocks forever: never hang a publish.
            throw o.invalid("wait_timeout", "more than 0 seconds (WAIT with 0 waits forever)");
        }
        if (replicas > 0 && timeout.compareTo(options.socketTimeout()) >= 0) {
            throw o.invalid("wait_timeout", "shorter than socket_timeout (" + options.socketTimeout().toMillis() + " ms)");
        }
        if (replicas > 0 && options.publishPipeline() > 0) {
            throw new ConfigurationException("wait_replicas cannot be combined with publish_pipeline in " + url.masked()
                    + ": a pipelined publish returns before its reply, so there is nothing to wait for");
        }
        return new ReplicaWait(replicas, timeout);
    }

    /** Waits for the replicas to acknowledge every write of the command connection so far; no-op when off. */
    void afterPublish(RedisTransport transport) {
        if (replicas == 0) {
            return;
        }
        Object r = transport.commands(c -> c.call(List.of("WAIT", replicas, timeout.toMillis())));
        if (r instanceof RespError e) {
            throw new OperationalException("Redis refused WAIT after a publish: " + e.message());
        }
        long acked = Resp.integer(r);
        if (acked < replicas) {
            // The message is on the master but may not survive a failover: report it, never claim it safe.
            throw new OperationalException("publish reached " + acked + " of " + replicas + " replica(s) within "
                    + timeout.toMillis() + " ms (wait_replicas); it is on the master but may be lost if the master"
                    + " fails now; a retry may deliver it twice");
        }
    }
}
