package org.kombu4j.redis;

import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Ticker;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.transport.UrlOptions;

/**
 * What a {@code redis+cluster://} transport adds to the Redis transport: the namespace's hash tag, the
 * master that serves it (found with {@code CLUSTER SLOTS} from the URL's node on every connect), and the
 * optional {@code WAIT} after publishes.
 *
 * <p>Every key and fanout channel of the namespace starts with {@code {key_tag}} (then any
 * {@code global_keyprefix}), so all of them hash to one slot: every script and MULTI touches one slot,
 * and the whole transport talks to one master (WIRE.md "Redis Cluster layout"). Several namespaces
 * (different {@code key_tag}s, e.g. one per application or queue group) spread over the masters. That is
 * {@code layout=namespace}, the default; {@code layout=queue} makes each queue a namespace of its own
 * ({@link ClusterQueueTransport}), each served by a transport with this class's tag set to the queue's name.
 *
 * <p>A {@code MOVED}, {@code ASK}, {@code TRYAGAIN}, {@code CLUSTERDOWN} or {@code READONLY} reply means
 * the slot is no longer served where we are connected (a failover, a reshard): the transport closes its
 * connections and throws, so the {@code Connection} reconnects and this class reads the topology again.
 *
 * @param seed the node of the URL, as an endpoint (database 0, the URL's credentials and timeouts)
 * @param tag the hash tag ({@code key_tag}, default {@value #DEFAULT_TAG})
 * @param topologies where the slot map comes from: null = read from the seed on every connect; a
 *     {@code layout=queue} transport shares one read among its namespaces connecting together
 *
 * <p>{@code wait_replicas} and {@code wait_timeout} work as on {@code redis://} ({@link ReplicaWait}).
 */
record RedisCluster(RedisEndpoint seed, String tag, java.util.function.@Nullable Function<Ticker, ClusterTopology> topologies) {
    /** The URL scheme. */
    static final String SCHEME = "redis+cluster";

    static final String DEFAULT_TAG = "kombu4j";

    /** The options only a cluster URL takes. */
    static final Set<String> OPTIONS = Set.of("key_tag", "layout");

    private static final Set<String> REDIRECTS = Set.of("MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "READONLY");

    /**
     * Reads the cluster options of {@code url} and returns the transport: with {@code layout=namespace}, a
     * Redis transport whose options put {@code {key_tag}} before {@code global_keyprefix}; with
     * {@code layout=queue}, a {@link ClusterQueueTransport}.
     */
    static org.kombu4j.transport.Transport transport(BrokerUrl url) {
        RedisOptions base = RedisOptions.from(url, OPTIONS);
        java.util.Set<String> known = new java.util.HashSet<>(RedisOptions.KNOWN);
        known.addAll(OPTIONS);
        UrlOptions o = UrlOptions.of(url, "Redis Cluster", known);
        String layout = o.string("layout", "namespace");
        if (!layout.equals("namespace") && !layout.equals("queue")) {
            throw o.invalid("layout", "namespace (every key under one key_tag) or queue (a namespace per queue)");
        }
        if (layout.equals("queue") && url.options().containsKey("key_tag")) {
            throw new ConfigurationException("key_tag is for layout=namespace; layout=queue tags each queue's keys with its name: "
                    + url.masked());
        }
        String tag = o.string("key_tag", DEFAULT_TAG);
        if (tag.isEmpty() || tag.indexOf('{') >= 0 || tag.indexOf('}') >= 0) {
            throw o.invalid("key_tag", "a non-empty hash tag without { or }");
        }
        String vhost = url.virtualHost();
        if (vhost != null && !vhost.isEmpty() && !vhost.equals("/") && !vhost.equals("0") && !vhost.equals("/0")) {
            throw new ConfigurationException("Redis Cluster has only database 0, got '" + vhost + "' in " + url.masked());
        }
        if (base.tls() != null) {
            throw new ConfigurationException("TLS is not supported on redis+cluster:// yet: " + url.masked());
        }
        if (layout.equals("queue")) {
            RedisEndpoint seed = new RedisEndpoint(url.host().isEmpty() ? "localhost" : url.host(), url.port(6379),
                    url.user(), url.password(), 0, base.socketConnectTimeout(), base.socketTimeout(), null);
            return new ClusterQueueTransport(url, base, seed);
        }
        RedisOptions options = new RedisOptions(base.visibilityTimeout(), base.prioritySteps(), base.sep(),
                base.fanoutPrefix(), base.fanoutPatterns(), "{" + tag + "}" + base.globalKeyprefix(), base.socketTimeout(),
                base.socketConnectTimeout(), base.healthCheckInterval(), base.unackedRestoreInterval(),
                base.publishPipeline(), null, base.leaseTimeout());
        RedisEndpoint seed = new RedisEndpoint(url.host().isEmpty() ? "localhost" : url.host(), url.port(6379), url.user(),
                url.password(), 0, options.socketConnectTimeout(), options.socketTimeout(), null);
        return new RedisTransport(url, options, new RedisCluster(seed, tag));
    }

    RedisCluster(RedisEndpoint seed, String tag) {
        this(seed, tag, null);
    }

    /** The slot every key of this namespace is in. */
    int slot() {
        return ClusterSlots.slot("{" + tag + "}");
    }

    /**
     * The endpoint of the master now serving {@link #slot()}, read from the seed's {@code CLUSTER SLOTS}.
     *
     * @throws OperationalException if the seed is unreachable, or no master serves the slot (cluster down)
     */
    RedisEndpoint resolveMaster(Ticker ticker) {
        ClusterTopology topology;
        try {
            topology = topologies != null ? topologies.apply(ticker) : ClusterTopology.discover(seed, ticker);
        } catch (OperationalException e) {
            throw new OperationalException("Redis Cluster node " + seed + " is unreachable: " + e.getMessage(), e);
        }
        ClusterTopology.Node master = topology.masterFor(slot());
        if (master == null) {
            throw new OperationalException("Redis Cluster at " + seed + " has no master serving slot " + slot()
                    + " (key_tag " + tag + "): the cluster is down or incomplete");
        }
        return new RedisEndpoint(master.host(), master.port(), seed.user(), seed.password(), 0, seed.connectTimeout(),
                seed.commandTimeout(), null);
    }

    /** The error for a master that {@code CLUSTER SLOTS} names but that cannot be reached. */
    OperationalException masterUnreachable(RedisEndpoint master, OperationalException e) {
        return new OperationalException("Redis Cluster master " + master.host() + ":" + master.port() + " serving slot "
                + slot() + " (key_tag " + tag + ") is unreachable, the cluster is down or failing over: " + e.getMessage(), e);
    }

    /** Whether {@code e} reports that the slot is not (or no longer) served where we are connected. */
    static boolean isRedirect(OperationalException e) {
        String m = e.getMessage();
        if (m == null) {
            return false;
        }
        int colon = m.lastIndexOf(": ");
        return isRedirect(colon >= 0 ? m.substring(colon + 2) : m);
    }

    /** Whether an error reply's text starts with a cluster redirection code. */
    static boolean isRedirect(String errorMessage) {
        return REDIRECTS.contains(errorMessage.split(" ", 2)[0]);
    }
}
