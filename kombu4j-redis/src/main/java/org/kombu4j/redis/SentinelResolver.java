package org.kombu4j.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.kombu4j.hub.Ticker;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the current master through Redis Sentinel, as the Sentinel client guidelines (and redis-py) do:
 * ask each sentinel in turn {@code SENTINEL get-master-addr-by-name <name>}, the first that answers is
 * asked first next time; then check with {@code ROLE} on that address that it is a master.
 *
 * <p>Failover is followed by connecting again: when the master dies its connections drop, and when
 * Sentinel demotes a live master it kills its clients ({@code CLIENT KILL TYPE normal}), so every
 * failover ends the transport's connections; {@link org.kombu4j.Connection#ensure} and
 * {@link org.kombu4j.ConsumerLoop} reconnect, and the new transport asks the sentinels again. While a
 * failover is under way the sentinels still name the old master: {@link #resolve} then asks again every
 * {@value #POLL_MILLIS} ms, up to {@code failover_wait}, so the new master is used as soon as it has
 * been promoted (the moment Sentinel publishes {@code +switch-master}).
 *
 * <p>Errors, each said once: sentinels that know no master by that name (a {@link ConfigurationException}
 * naming it, not retried); no sentinel reachable (an {@link OperationalException} listing them, at once);
 * no reachable master within {@code failover_wait} (an {@link OperationalException}).
 */
final class SentinelResolver {
    private static final Logger log = LoggerFactory.getLogger(SentinelResolver.class);
    static final long POLL_MILLIS = 100;

    private final SentinelConfig config;
    private final Ticker ticker;
    // Reordered so that the sentinel that answered last is asked first (guarded by this).
    private final List<SentinelConfig.HostPort> order;

    private @Nullable SentinelWatcher watcher;

    SentinelResolver(SentinelConfig config, Ticker ticker) {
        this.config = config;
        this.ticker = ticker;
        this.order = new ArrayList<>(config.sentinels());
    }

    /** The endpoint of the current master: {@code template}'s credentials, database and timeouts at the master's address. */
    synchronized RedisEndpoint resolve(RedisEndpoint template) {
        long deadline = ticker.nanoTime() + config.failoverWait().toNanos();
        String lastProblem;
        while (true) {
            Answer a = ask();
            RedisEndpoint master = new RedisEndpoint(a.host(), a.port(), template.user(), template.password(),
                    template.db(), template.connectTimeout(), template.commandTimeout(), template.tls());
            lastProblem = checkMaster(master);
            if (lastProblem == null) {
                log.debug("Redis Sentinel ({}) names {}:{} as master '{}'", a.sentinel(), a.host(), a.port(), config.masterName());
                return master;
            }
            if (ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS) > deadline) {
                break;
            }
            log.debug("master '{}' at {}:{} is not usable yet ({}); asking the sentinels again", config.masterName(),
                    a.host(), a.port(), lastProblem);
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OperationalException("interrupted while waiting for Redis Sentinel to name a master", e);
            }
        }
        throw new OperationalException("Redis Sentinel (" + config.sentinelList() + ") names no usable master '"
                + config.masterName() + "' within failover_wait (" + config.failoverWait().toMillis() + " ms): "
                + lastProblem);
    }

    /**
     * Follows {@code +switch-master} while {@code transport} is connected to {@code master}: on a switch to
     * another address, the transport drops its connections, so that its users reconnect to the new master.
     */
    synchronized void watch(RedisTransport transport, RedisEndpoint master) {
        stopWatching();
        SentinelWatcher w = new SentinelWatcher(config, master.host() + " " + master.port(),
                now -> transport.dropConnections("Redis Sentinel switched master '" + config.masterName() + "' to "
                        + now.replace(' ', ':')));
        watcher = w;
        w.start();
    }

    synchronized void stopWatching() {
        SentinelWatcher w = watcher;
        watcher = null;
        if (w != null) {
            w.stop();
        }
    }

    private record Answer(String host, int port, SentinelConfig.HostPort sentinel) {}

    /** The address the first sentinel that can answer gives. */
    private Answer ask() {
        List<String> problems = new ArrayList<>();
        int unknown = 0;
        int refused = 0;
        for (int i = 0; i < order.size(); i++) {
            SentinelConfig.HostPort s = order.get(i);
            RedisEndpoint ep = new RedisEndpoint(s.host(), s.port(), config.sentinelUser(), config.sentinelPassword(), 0,
                    config.sentinelTimeout(), config.sentinelTimeout());
            try (RedisConnection c = RedisConnection.open(ep, ticker, false, null)) {
                Object r = c.call(List.of("SENTINEL", "get-master-addr-by-name", config.masterName()));
                if (r instanceof RespError e) {
                    if (e.code().equals("NOAUTH") || e.code().equals("NOPERM")) {
                        refused++;
                        problems.add(s + " refused SENTINEL get-master-addr-by-name: " + e.message()
                                + " (the sentinels' credentials go in sentinel_kwargs)");
                        continue;
                    }
                    problems.add(s + " refused SENTINEL get-master-addr-by-name: " + e.message()
                            + (e.message().contains("unknown command") ? " (is it a sentinel?)" : ""));
                    continue;
                }
                if (r == null) {
                    unknown++;
                    problems.add(s + " knows no master '" + config.masterName() + "'");
                    continue;
                }
                List<Object> addr = Resp.array(r);
                if (config.minOtherSentinels() > 0) {
                    Object others = c.call(List.of("SENTINEL", "sentinels", config.masterName()));
                    int n = others instanceof List<?> l ? l.size() : 0;
                    if (n < config.minOtherSentinels()) {
                        problems.add(s + " sees " + n + " other sentinel(s), fewer than min_other_sentinels ("
                                + config.minOtherSentinels() + ")");
                        continue;
                    }
                }
                if (i > 0) {
                    order.remove(i);
                    order.add(0, s);
                }
                return new Answer(Resp.text(addr.get(0)), (int) Resp.integer(addr.get(1)), s);
            } catch (AccessRefusedException e) {
                refused++;
                problems.add(s + ": " + e.getMessage() + " (the sentinels' credentials go in sentinel_kwargs)");
            } catch (OperationalException e) {
                // RedisEndpoint shows a redis:// URL: say it is the sentinel that failed.
                problems.add(String.valueOf(e.getMessage()).replace(ep.toString(), "sentinel " + s));
            }
        }
        if (unknown > 0 && unknown == problems.size()) {
            throw new ConfigurationException("Redis Sentinel (" + config.sentinelList() + ") knows no master named '"
                    + config.masterName() + "' (check master_name in " + config.display().masked() + ")");
        }
        if (refused == problems.size()) {
            // Wrong credentials everywhere: waiting or retrying will not help.
            throw new AccessRefusedException("every Redis Sentinel of " + config.sentinelList() + " refused the login: "
                    + String.join("; ", problems));
        }
        throw new OperationalException("no Redis Sentinel of " + config.sentinelList() + " could name master '"
                + config.masterName() + "': " + String.join("; ", problems));
    }

    /** Null if {@code master} accepts connections and says it is a master ({@code ROLE}); else what is wrong. */
    private static @Nullable String checkMaster(RedisEndpoint master) {
        try (RedisConnection c = RedisConnection.open(master, false, null)) {
            Object r = c.call(List.of("ROLE"));
            if (r instanceof RespError e) {
                return master + " refused ROLE: " + e.message();
            }
            String role = Resp.text(Resp.array(r).get(0));
            return role.equals("master") ? null : master + " is a " + role + ", not a master";
        } catch (AccessRefusedException e) {
            throw e; // wrong credentials for the master: waiting will not help
        } catch (OperationalException e) {
            return e.getMessage();
        }
    }
}
