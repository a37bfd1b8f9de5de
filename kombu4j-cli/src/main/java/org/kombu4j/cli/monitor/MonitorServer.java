package org.kombu4j.cli.monitor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.kombu4j.transport.QueueStats;

/**
 * The monitor's HTTP server: {@code /} (the page), {@code /api/queues}, {@code /api/history},
 * {@code /api/events} (server-sent events, one snapshot a second), {@code /metrics}; anything else is 404.
 * Read-only: every path answers GET (and HEAD) only, but for the actions ({@code POST /api/purge},
 * {@code POST /api/requeue-dead-letters}) allowed by {@link #allowActions}.
 */
public final class MonitorServer implements AutoCloseable {
    /** What the monitor may change on the broker, only when started with {@code --allow-actions}. */
    public interface Actions {
        /** Removes every ready message of {@code queue}; returns how many. */
        long purge(String queue);

        /** Moves the messages of dead-letter queue {@code queue} back to the queues they died in. */
        Requeued requeueDeadLetters(String queue);
    }

    /**
     * What moving dead letters back did.
     *
     * @param moved messages moved back to the queue they died in
     * @param left messages that stayed in the dead-letter queue
     * @param reasons why they stayed, each reason once
     */
    public record Requeued(long moved, long left, List<String> reasons) {
    }

    /** The header an action must carry: a cross-site form cannot send it, and a script elsewhere needs CORS we never grant. */
    static final String ACTION_HEADER = "X-Kombu4j-Action";
    private static final int MAX_ACTION_BODY = 8192;

    /** Most live pages at once; each holds one thread. */
    static final int MAX_EVENT_STREAMS = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Sampler sampler;
    private final String brokerUrl;
    private final String transport;
    private final List<String> secrets;
    private final ExecutorService executor;
    private final Semaphore streams = new Semaphore(MAX_EVENT_STREAMS);
    private final byte[] page;
    private volatile @Nullable Actions actions;
    private volatile boolean closed;

    /**
     * Binds (but does not start) the server.
     *
     * @param address where to listen
     * @param sampler the sampler whose snapshots are served (started by the caller)
     * @param maskedUrl the broker URL with its password masked, as shown on the page
     * @param transport the transport's name
     * @param access the credential check
     * @param secrets strings never to show (the broker's password): replaced by {@code ****} in errors shown
     * @throws IOException if the address cannot be bound (port in use, address not local)
     */
    public MonitorServer(InetSocketAddress address, Sampler sampler, String maskedUrl, String transport, Access access,
            List<String> secrets) throws IOException {
        this.sampler = sampler;
        this.brokerUrl = maskedUrl;
        this.transport = transport;
        this.secrets = secrets.stream().filter(s -> s != null && !s.isEmpty()).toList();
        this.page = loadPage();
        this.server = HttpServer.create(address, 64);
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kombu4j-monitor-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        HttpContext ctx = server.createContext("/", this::handle);
        ctx.getFilters().add(access);
    }

    /** Allows the broker-changing actions (purge, requeue dead letters), each confirmed by repeating the queue's name. */
    public void allowActions(Actions value) {
        this.actions = value;
    }

    /** Starts serving. */
    public void start() {
        server.start();
    }

    /** The bound port (the real one when 0 was asked for). */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            boolean known = switch (path) {
                case "/", "/index.html", "/api/queues", "/api/history", "/api/status", "/api/events", "/metrics",
                        "/api/purge", "/api/requeue-dead-letters" -> true;
                default -> false;
            };
            if (!known) {
                text(ex, 404, "404 Not Found: no such page: " + printable(path)
                        + " (try /, /api/queues, /api/history, /api/events or /metrics)\n");
                return;
            }
            if (path.equals("/api/purge")) {
                action(ex, "purge", "purge queues", (a, q) -> Map.of("queue", q, "purged", a.purge(q)));
                return;
            }
            if (path.equals("/api/requeue-dead-letters")) {
                action(ex, "requeue", "move dead letters", (a, q) -> {
                    Requeued r = a.requeueDeadLetters(q);
                    return Map.of("queue", q, "moved", r.moved(), "left", r.left(), "reasons", r.reasons());
                });
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                text(ex, 405, "405 Method Not Allowed: the monitor is read-only; " + path + " answers GET only\n");
                return;
            }
            switch (path) {
                case "/", "/index.html" -> send(ex, 200, "text/html; charset=utf-8", page);
                case "/api/queues" -> apiQueues(ex);
                case "/api/history" -> json(ex, 200, Map.of("interval_s", 1, "queues", sampler.historyView()));
                case "/api/status" -> json(ex, 200, status(sampler.snapshot()));
                case "/api/events" -> events(ex);
                case "/metrics" -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                        Prometheus.render(sampler.snapshot()).getBytes(StandardCharsets.UTF_8));
                default -> throw new IllegalStateException(path);
            }
        } catch (IOException | UncheckedIOException e) {
            // The client went away: nothing to answer.
        }
    }

    private void apiQueues(HttpExchange ex) throws IOException {
        Sampler.Snapshot s = sampler.snapshot();
        if (s.sampledAt() == 0) {
            // Never read the broker: an empty list would claim it has no queues.
            json(ex, 503, Map.of("error", "the broker has not been read yet: " + scrub(String.valueOf(s.error()))));
            return;
        }
        if (!s.up()) {
            ex.getResponseHeaders().set("X-Kombu4j-Stale", "broker down: " + scrub(String.valueOf(s.error())));
        }
        json(ex, 200, queues(s.queues()));
    }

    /**
     * POST of an action ({@code /api/purge}, {@code /api/requeue-dead-letters}) with {@code queue=NAME&confirm=NAME}
     * and the header {@link #ACTION_HEADER}: {@code name}; only with --allow-actions, else 403 and nothing changes.
     */
    private void action(HttpExchange ex, String name, String what,
            java.util.function.BiFunction<Actions, String, Map<String, Object>> run) throws IOException {
        Actions a = actions;
        String path = ex.getRequestURI().getPath();
        if (a == null) {
            text(ex, 403, "403 Forbidden: the monitor is read-only; start it with --allow-actions to " + what + "\n");
            return;
        }
        if (!ex.getRequestMethod().equals("POST")) {
            ex.getResponseHeaders().set("Allow", "POST");
            text(ex, 405, "405 Method Not Allowed: " + path + " answers POST only\n");
            return;
        }
        String origin = ex.getRequestHeaders().getFirst("Origin");
        String host = ex.getRequestHeaders().getFirst("Host");
        if (!name.equals(ex.getRequestHeaders().getFirst(ACTION_HEADER))
                || origin != null && !origin.equals("null") && host != null && !origin.endsWith("//" + host)) {
            text(ex, 403, "403 Forbidden: " + path + " needs the header " + ACTION_HEADER + ": " + name
                    + ", from this monitor's own page\n");
            return;
        }
        byte[] raw = ex.getRequestBody().readNBytes(MAX_ACTION_BODY + 1);
        if (raw.length > MAX_ACTION_BODY) {
            text(ex, 413, "413 Payload Too Large\n");
            return;
        }
        Map<String, String> form = new LinkedHashMap<>();
        for (String part : new String(raw, StandardCharsets.UTF_8).split("&")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                form.put(java.net.URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
                        java.net.URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        String queue = form.get("queue");
        if (queue == null || queue.isEmpty() || !queue.equals(form.get("confirm"))) {
            text(ex, 400, "400 Bad Request: give queue=NAME and confirm=NAME, the same queue name twice\n");
            return;
        }
        try {
            json(ex, 200, run.apply(a, queue));
        } catch (RuntimeException e) {
            json(ex, 502, Map.of("queue", queue, "error", scrub(Sampler.describe(e))));
        }
    }

    private void events(HttpExchange ex) throws IOException {
        if (!streams.tryAcquire()) {
            text(ex, 503, "503 Service Unavailable: too many live pages open (" + MAX_EVENT_STREAMS + ")\n");
            return;
        }
        try {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.getResponseHeaders().set("X-Accel-Buffering", "no");
            ex.sendResponseHeaders(200, 0);
            if (ex.getRequestMethod().equals("HEAD")) {
                return;
            }
            OutputStream out = ex.getResponseBody();
            out.write("retry: 1000\n\n".getBytes(StandardCharsets.UTF_8));
            long next = System.currentTimeMillis();
            while (!closed) {
                Sampler.Snapshot s = sampler.snapshot();
                out.write(("data: " + JSON.writeValueAsString(status(s)) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                next += 1000;
                long wait = next - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                } else {
                    next = System.currentTimeMillis();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            streams.release();
        }
    }

    /** The snapshot the page gets: broker state and every queue. */
    private Map<String, @Nullable Object> status(Sampler.Snapshot s) {
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        m.put("time", s.time());
        m.put("broker", brokerUrl);
        m.put("transport", transport);
        m.put("up", s.up());
        m.put("error", s.error() == null ? null : scrub(s.error()));
        m.put("sampled_at", s.sampledAt() == 0 ? null : s.sampledAt());
        m.put("actions", actions != null);
        m.put("queues", queues(s.queues()));
        return m;
    }

    static List<Map<String, @Nullable Object>> queues(List<QueueStats> qs) {
        List<Map<String, @Nullable Object>> out = new ArrayList<>(qs.size());
        for (QueueStats q : qs) {
            Map<String, @Nullable Object> m = new LinkedHashMap<>();
            m.put("name", q.name());
            m.put("ready", q.ready());
            m.put("unacked", q.unacked());
            m.put("consumers", q.consumers());
            // true: only kombu4j's consumers are counted (Redis, SQL), so there are at least this many.
            m.put("consumers_lower_bound", q.consumers() == null ? null : q.consumersLowerBound());
            m.put("publish_rate", q.publishRate());
            m.put("deliver_rate", q.deliverRate());
            // broker | clients | clients_and_depth | depth; rates_lower_bound: the true rates may be higher.
            m.put("rates_source", q.ratesSource() == null ? null : q.ratesSource().wireName());
            m.put("rates_lower_bound", q.ratesSource() == null ? null : q.ratesSource().lowerBound());
            m.put("oldest_unacked_age_s", q.oldestUnackedAgeSeconds());
            m.put("delayed", q.delayed());
            m.put("oldest_delayed_age_s", q.oldestDelayedAgeSeconds());
            m.put("dead_letters", q.deadLetters());
            m.put("dead_letter_queues", q.deadLetters() == null ? null : q.deadLetterQueues());
            out.add(m);
        }
        return out;
    }

    private String scrub(String s) {
        String r = s;
        for (String secret : secrets) {
            r = r.replace(secret, "****");
        }
        return r;
    }

    private static String printable(String s) {
        String p = s.replaceAll("[\\p{Cntrl}]", "?");
        return p.length() > 200 ? p.substring(0, 200) + "..." : p;
    }

    private static void json(HttpExchange ex, int status, Object value) throws IOException {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
        send(ex, status, "application/json; charset=utf-8", body);
    }

    private static void text(HttpExchange ex, int status, String body) throws IOException {
        send(ex, status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getRequestBody().readAllBytes();
        var h = ex.getResponseHeaders();
        h.set("Content-Type", contentType);
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        // Everything is inline or from this server: nothing may come from elsewhere.
        h.set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static byte[] loadPage() {
        try (InputStream in = MonitorServer.class.getResourceAsStream("page.html")) {
            if (in == null) {
                throw new IllegalStateException("the monitor page is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "MonitorServer[" + server.getAddress() + ", " + brokerUrl + "]";
    }
}
