package org.kombu4j.amqp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.OperationalException;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.QueueStats;
import org.kombu4j.transport.virtual.ExchangeRouter;

/**
 * The RabbitMQ management HTTP API, for what AMQP 0-9-1 cannot do: list a virtual host's queues. As
 * Kombu's {@code get_manager()}, it is found at {@code http://manager_hostname:manager_port} (default:
 * the URL's host, port 15672) and logs in as {@code manager_userid}/{@code manager_password} (default:
 * the URL's user and password, then {@code guest}).
 */
final class ManagementApi {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REASON = 200;

    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final String virtualHost;
    private final Duration requestTimeout;
    private volatile @Nullable HttpClient client;

    ManagementApi(BrokerUrl url, AmqpOptions.Manager options, String virtualHost) {
        this(url, options, virtualHost, REQUEST_TIMEOUT);
    }

    /** With another request timeout: for tests, so a silent server need not take the full default. */
    ManagementApi(BrokerUrl url, AmqpOptions.Manager options, String virtualHost, Duration requestTimeout) {
        this.host = options.hostname() != null ? options.hostname() : url.host().isEmpty() ? "localhost" : url.host();
        this.port = options.port();
        this.user = options.userid() != null ? options.userid() : url.user() != null ? url.user() : "guest";
        this.password = options.password() != null ? options.password()
                : url.password() != null && !url.password().isEmpty() ? url.password() : "guest";
        this.virtualHost = virtualHost;
        this.requestTimeout = requestTimeout;
    }

    /** host:port as shown in messages. */
    String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * The virtual host's queues, sorted by name. Counts are the management plugin's statistics, which
     * it refreshes every few seconds ({@code collect_statistics_interval}), so they may lag.
     *
     * @throws OperationalException the API is unreachable, too slow, or answers with an error
     * @throws AccessRefusedException the API refused the user or password
     */
    List<QueueInfo> queues() {
        // messages_ready, not messages: QueueInfo counts ready messages, as queue.declare-ok does.
        return parse(fetchQueues("name,messages_ready,consumers"));
    }

    /**
     * The virtual host's queues with the statistics a monitor shows (unacknowledged, consumers, publish and
     * deliver rates), by name; same lag and exceptions as {@link #queues()}. One request for every queue.
     */
    Map<String, QueueStats> queueStats() {
        byte[] body = fetchQueues("name,messages_ready,messages_unacknowledged,consumers,"
                + "message_stats.publish_details.rate,message_stats.deliver_get_details.rate,arguments");
        Map<String, QueueStats> out = new TreeMap<>();
        JsonNode all = parseArray(body);
        Map<String, List<String>> named = namedDeadLetterTargets(all);
        for (JsonNode q : all) {
            String name = q.path("name").textValue();
            if (name == null) {
                continue;
            }
            JsonNode stats = q.path("message_stats");
            JsonNode pub = stats.path("publish_details").path("rate");
            JsonNode del = stats.path("deliver_get_details").path("rate");
            out.put(name, new QueueStats(name, q.path("messages_ready").asLong(0), q.path("messages_unacknowledged").asLong(0),
                    q.path("consumers").asInt(0), pub.isNumber() ? pub.asDouble() : 0.0, del.isNumber() ? del.asDouble() : 0.0,
                    null, null, null, null, named.getOrDefault(name, deadLetterQueues(q.path("arguments")))));
        }
        return out;
    }

    /**
     * Where the dead letters of queues with a named dead-letter exchange and routing key go: read only when some
     * queue has one, with two more requests (the exchanges' types, the bindings), and routed as RabbitMQ routes
     * direct, topic and fanout exchanges. Left out (unknown): headers exchanges, exchange-to-exchange bindings,
     * and every such queue if those requests fail (the sample itself does not fail for them).
     */
    private Map<String, List<String>> namedDeadLetterTargets(JsonNode queues) {
        Map<String, String[]> wanted = new TreeMap<>(); // queue -> {exchange, routing key}
        for (JsonNode q : queues) {
            JsonNode dlx = q.path("arguments").path("x-dead-letter-exchange");
            JsonNode rk = q.path("arguments").path("x-dead-letter-routing-key");
            if (q.path("name").isTextual() && dlx.isTextual() && !dlx.textValue().isEmpty() && rk.isTextual()) {
                wanted.put(q.path("name").textValue(), new String[] {dlx.textValue(), rk.textValue()});
            }
        }
        if (wanted.isEmpty()) {
            return Map.of();
        }
        Map<String, ExchangeType> types = new java.util.HashMap<>();
        Map<String, List<ExchangeRouter.Row>> rows = new java.util.HashMap<>();
        java.util.Set<String> toExchanges = new java.util.HashSet<>();
        try {
            for (JsonNode e : parseArray(fetch("exchanges/" + pathPart(virtualHost) + "?columns=name,type"))) {
                try {
                    types.put(e.path("name").asText(), ExchangeType.of(e.path("type").asText()));
                } catch (RuntimeException unknownType) {
                    // a plugin's exchange type: its routing is not known here
                }
            }
            for (JsonNode b : parseArray(fetch("bindings/" + pathPart(virtualHost)))) {
                String source = b.path("source").asText();
                if (!"queue".equals(b.path("destination_type").asText())) {
                    toExchanges.add(source);
                    continue;
                }
                rows.computeIfAbsent(source, k -> new ArrayList<>()).add(
                        new ExchangeRouter.Row(b.path("destination").asText(), b.path("routing_key").asText(), Map.of()));
            }
        } catch (KombuException e) {
            return Map.of();
        }
        ExchangeRouter router = new ExchangeRouter();
        Map<String, List<String>> out = new TreeMap<>();
        wanted.forEach((queue, target) -> {
            ExchangeType type = types.get(target[0]);
            if (type == null || type == ExchangeType.HEADERS || toExchanges.contains(target[0])) {
                return;
            }
            out.put(queue, List.copyOf(router.route(type, rows.getOrDefault(target[0], List.of()), target[1], Map.of())));
        });
        return out;
    }

    /**
     * Where a queue's dead letters go, in {@link QueueStats#deadLetterQueues()} form, when its arguments say it
     * without reading bindings: the default exchange with a dead-letter routing key names the queue. Empty
     * otherwise (named exchanges: {@link #namedDeadLetterTargets}).
     */
    static List<String> deadLetterQueues(JsonNode arguments) {
        JsonNode dlx = arguments.path("x-dead-letter-exchange");
        JsonNode rk = arguments.path("x-dead-letter-routing-key");
        return dlx.isTextual() && dlx.textValue().isEmpty() && rk.isTextual() ? List.of(rk.textValue()) : List.of();
    }

    private byte[] fetchQueues(String columns) {
        return fetch("queues/" + pathPart(virtualHost) + "?columns=" + columns);
    }

    /** %2F for the default virtual host "/"; URLEncoder's '+' is a literal plus in a path. */
    private static String pathPart(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private byte[] fetch(String api) {
        URI uri;
        try {
            uri = URI.create("http://" + address() + "/api/" + api);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("bad RabbitMQ management API address '" + address() + "'", e);
        }
        String credentials = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(requestTimeout)
                .header("Authorization", "Basic " + credentials).header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> response;
        try {
            response = client().send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw unreachable("no connection within " + CONNECT_TIMEOUT.toSeconds() + " s", e);
        } catch (HttpTimeoutException e) {
            throw new OperationalException("cannot list queues: the RabbitMQ management API at " + address()
                    + " did not answer within " + requestTimeout.toMillis() / 1000.0 + " s", e);
        } catch (IOException e) {
            throw unreachable(describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationalException("interrupted while listing queues through " + address(), e);
        }
        int status = response.statusCode();
        if (status == 401 || status == 403) {
            throw new AccessRefusedException("cannot list queues: the RabbitMQ management API at " + address()
                    + " refused user '" + user + "' (HTTP " + status + reason(response.body())
                    + "); check manager_userid/manager_password (default: the URL's user and password)"
                    + " and that the user has a management tag");
        }
        if (status != 200) {
            throw new OperationalException("cannot list queues: the RabbitMQ management API at " + address()
                    + " answered HTTP " + status + reason(response.body())
                    + (status == 404 ? " (is it the management API, and does virtual host '" + virtualHost + "' exist?)" : ""));
        }
        return response.body();
    }

    private List<QueueInfo> parse(byte[] body) {
        List<QueueInfo> out = new ArrayList<>();
        for (JsonNode q : parseArray(body)) {
            String name = q.path("name").textValue();
            if (name == null) {
                continue;
            }
            // A just-declared queue has no statistics yet: its counts are absent, not unknown.
            out.add(new QueueInfo(name, q.path("messages_ready").asLong(0), q.path("consumers").asInt(0)));
        }
        out.sort(Comparator.comparing(QueueInfo::name));
        return out;
    }

    private JsonNode parseArray(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isArray()) {
            throw new OperationalException("cannot list queues: " + address()
                    + " did not answer like the RabbitMQ management API (no JSON list of queues)");
        }
        return root;
    }

    private OperationalException unreachable(String why, Throwable cause) {
        return new OperationalException("cannot list queues: the RabbitMQ management API at " + address()
                + " is not reachable (" + why + "); listing queues needs the rabbitmq_management plugin"
                + " (enable it with 'rabbitmq-plugins enable rabbitmq_management') or the right"
                + " manager_hostname/manager_port", cause);
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            // HTTP/1.1: the plugin does not need HTTP/2, and an h2c upgrade attempt only adds a round trip.
            c = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NEVER).build();
            client = c;
        }
        return c;
    }

    /** The API's own reason ({"error":..,"reason":..}) on one short line, or nothing. */
    private static String reason(byte[] body) {
        String r = null;
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.path("reason").isTextual()) {
                r = n.path("reason").textValue();
            }
        } catch (IOException e) {
            r = null;
        }
        if (r == null || r.isBlank()) {
            return "";
        }
        r = oneLine(r);
        return ": " + (r.length() > MAX_REASON ? r.substring(0, MAX_REASON) + "..." : r);
    }

    /** Whitespace and control characters (an AMQP port's binary reply, say) folded into single spaces. */
    private static String oneLine(String s) {
        return s.replaceAll("[\\s\\p{Cntrl}]+", " ").strip();
    }

    private static String describe(Throwable e) {
        // The HTTP client's ConnectException often has no message of its own, nor its cause.
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank()) {
                return oneLine(m);
            }
        }
        return e instanceof java.net.ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }
}
