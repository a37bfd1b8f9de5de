package org.kombu4j.redis;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.transport.UrlOptions;

/**
 * A {@code sentinel://h1:26379;sentinel://h2:26379?master_name=m} list read as Kombu reads it: every URL
 * names a sentinel (default port 26379); the credentials and database (path) are the master's, taken from
 * the first URL that gives them; the query options apply to the whole list, wherever they are written.
 * The sentinels' own credentials are in {@code sentinel_kwargs} (a JSON object, Kombu's dict:
 * {@code {"password": "...", "username": "..."}}), as in redis-py, where the master's password is not sent
 * to the sentinels.
 *
 * @param sentinels the sentinels' addresses, in the order given
 * @param masterName {@code master_name}: the name the sentinels monitor the master under
 * @param sentinelUser {@code sentinel_kwargs.username}, or null
 * @param sentinelPassword {@code sentinel_kwargs.password}, or null
 * @param sentinelTimeout {@code sentinel_kwargs.socket_timeout}: connect and reply timeout for a sentinel
 * @param minOtherSentinels {@code min_other_sentinels}: a sentinel's answer counts only if it sees that many
 *     other sentinels (0, Kombu's default)
 * @param failoverWait kombu4j's {@code failover_wait}: how long connecting waits for the sentinels to name a
 *     reachable master (a failover in progress) before it fails (10 s)
 * @param display the first URL with the list's options, for messages
 * @param redisUrl the master's credentials, database and Redis options as a {@code redis://} URL
 */
record SentinelConfig(List<HostPort> sentinels, String masterName, @Nullable String sentinelUser,
        @Nullable String sentinelPassword, Duration sentinelTimeout, int minOtherSentinels, Duration failoverWait,
        BrokerUrl display, BrokerUrl redisUrl) {

    /** A sentinel's address. */
    record HostPort(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    static final int DEFAULT_PORT = 26379;
    static final Set<String> OPTIONS = Set.of("master_name", "sentinel_kwargs", "min_other_sentinels", "failover_wait");
    private static final Set<String> KWARGS = Set.of("password", "username", "socket_timeout", "socket_connect_timeout");
    private static final ObjectMapper JSON = new ObjectMapper().configure(JsonParser.Feature.ALLOW_SINGLE_QUOTES, true);

    SentinelConfig {
        sentinels = List.copyOf(sentinels);
    }

    /** Reads a list of {@code sentinel://} URLs. */
    static SentinelConfig parse(List<BrokerUrl> urls) {
        if (urls.isEmpty()) {
            throw new ConfigurationException("no sentinel:// URL given");
        }
        List<HostPort> sentinels = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        String user = null;
        String password = null;
        String db = null;
        for (BrokerUrl u : urls) {
            sentinels.add(new HostPort(u.host().isEmpty() ? "localhost" : u.host(), u.port(DEFAULT_PORT)));
            for (Map.Entry<String, String> e : u.options().entrySet()) {
                String had = options.putIfAbsent(e.getKey(), e.getValue());
                if (had != null && !had.equals(e.getValue())) {
                    throw new ConfigurationException("the sentinel:// URLs give option '" + e.getKey()
                            + "' twice with different values: " + u.masked());
                }
            }
            user = same("user name", user, u.user(), u);
            password = same("password", password, u.password(), u);
            db = same("database", db, u.virtualHost(), u);
        }
        BrokerUrl first = urls.get(0);
        Map<String, String> redisOptions = new LinkedHashMap<>(options);
        redisOptions.keySet().removeAll(OPTIONS);
        BrokerUrl display = BrokerUrl.parse(url("sentinel", user, password, sentinels.get(0).toString(), db, options));
        BrokerUrl redisUrl = BrokerUrl.parse(url("redis", user, password, "localhost", db, redisOptions));
        Set<String> known = new java.util.HashSet<>(RedisOptions.KNOWN);
        known.addAll(OPTIONS);
        UrlOptions o = UrlOptions.of(display, "Redis Sentinel", known);
        String masterName = o.string("master_name");
        if (masterName == null || masterName.isBlank()) {
            throw new ConfigurationException("the sentinel:// URL " + display.masked() + " needs the master_name option,"
                    + " the name the sentinels monitor the master under, e.g. "
                    + "sentinel://h1:26379;sentinel://h2:26379?master_name=mymaster");
        }
        Map<String, String> kwargs = kwargs(o, display);
        Duration maxSeconds = Duration.ofDays(1);
        Duration timeout = Duration.ofSeconds(5);
        for (String k : List.of("socket_connect_timeout", "socket_timeout")) {
            String v = kwargs.get(k);
            if (v != null) {
                try {
                    timeout = Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
                } catch (NumberFormatException e) {
                    throw o.invalid("sentinel_kwargs", k + " as a number of seconds", e);
                }
                if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(maxSeconds) > 0) {
                    throw o.invalid("sentinel_kwargs", k + " as a number of seconds above 0");
                }
            }
        }
        return new SentinelConfig(sentinels, masterName.trim(), kwargs.get("username"), kwargs.get("password"), timeout,
                o.integer("min_other_sentinels", 0, 0, 1000),
                o.seconds("failover_wait", Duration.ofSeconds(10), maxSeconds), display, redisUrl);
    }

    /** {@code sentinel_kwargs}: a JSON object (Kombu's dict) of the keys redis-py's sentinel connections take that apply here. */
    private static Map<String, String> kwargs(UrlOptions o, BrokerUrl display) {
        String v = o.string("sentinel_kwargs");
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null || v.isBlank() || v.trim().equals("None")) {
            return out;
        }
        String mustBe = "a JSON object with the keys " + String.join(", ", KWARGS.stream().sorted().toList())
                + ", e.g. {\"password\": \"...\"}";
        JsonNode node;
        try {
            node = JSON.readTree(v);
        } catch (JsonProcessingException e) {
            // The value may hold a password: not in the message, nor the parser's (it quotes the input).
            throw o.invalid("sentinel_kwargs", mustBe);
        }
        if (node == null || !node.isObject()) {
            throw o.invalid("sentinel_kwargs", mustBe);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!KWARGS.contains(e.getKey())) {
                throw new ConfigurationException("unknown key '" + e.getKey() + "' in sentinel_kwargs of "
                        + display.masked() + ": " + mustBe);
            }
            if (!e.getValue().isNull()) {
                out.put(e.getKey(), e.getValue().asText());
            }
        }
        return out;
    }

    private static @Nullable String same(String what, @Nullable String had, @Nullable String now, BrokerUrl u) {
        if (had != null && now != null && !had.equals(now)) {
            throw new ConfigurationException("the sentinel:// URLs give two different " + what + "s (the first URL's "
                    + "apply to the master, as in Kombu; give it once): " + u.masked());
        }
        return had != null ? had : now;
    }

    private static String url(String scheme, @Nullable String user, @Nullable String password, String hostPort,
            @Nullable String db, Map<String, String> options) {
        StringBuilder sb = new StringBuilder(scheme).append("://");
        if (user != null || password != null) {
            sb.append(user == null ? "" : enc(user));
            if (password != null) {
                sb.append(':').append(enc(password));
            }
            sb.append('@');
        }
        sb.append(hostPort);
        if (db != null) {
            sb.append('/').append(enc(db));
        }
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        options.forEach((k, v) -> q.add(enc(k) + "=" + enc(v)));
        return sb.append(q).toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(Objects.requireNonNull(s), StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The sentinels, for messages: {@code h1:26379, h2:26379}. */
    String sentinelList() {
        StringJoiner j = new StringJoiner(", ");
        sentinels.forEach(s -> j.add(s.toString()));
        return j.toString();
    }
}
