package org.kombu4j.celery;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.kombu4j.OperationalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Celery's Redis result backend: each result is the JSON object of {@link TaskResult#toMeta()} under
 * {@code celery-task-meta-<id>}, written with {@code SETEX} ({@code result_expires}, one day) and {@code PUBLISH}ed
 * on a channel of the same name. A waiting caller {@code SUBSCRIBE}s to that channel and, once subscribed,
 * {@code GET}s the key once, which covers a result stored before the subscription; it never polls. One
 * connection for commands and one for all subscriptions, whose reader thread completes the futures (so stages
 * chained without {@code *Async} run on it and must not block).
 */
public final class RedisResultBackend implements ResultBackend {
    /** Celery's key prefix. */
    public static final String KEY_PREFIX = "celery-task-meta-";
    /** Celery's default {@code result_expires}: one day. */
    public static final long RESULT_EXPIRES_SECONDS = 86_400;

    private static final Logger log = LoggerFactory.getLogger(RedisResultBackend.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String host;
    private final int port;
    private final @Nullable String user;
    private final @Nullable String password;
    private final int db;
    private final String url;
    private final long expiresSeconds;
    private final Waiting waiting = new Waiting();
    private @Nullable RespConnection commands;
    private @Nullable RespConnection subscriber;
    private @Nullable Thread reader;
    private volatile boolean closed;

    private RedisResultBackend(String host, int port, @Nullable String user, @Nullable String password, int db,
            String url, long expiresSeconds) {
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.db = db;
        this.url = url;
        this.expiresSeconds = expiresSeconds;
    }

    /** {@code redis://[user:password@]host[:port][/db]}; the query option {@code result_expires} (seconds). */
    public static RedisResultBackend open(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ConfigurationException("malformed Redis backend URL '" + ResultBackends.mask(url) + "': "
                    + e.getReason());
        }
        if (!"redis".equalsIgnoreCase(uri.getScheme())) {
            throw new ConfigurationException("not a redis:// URL: " + ResultBackends.mask(url));
        }
        String host = uri.getHost() == null ? "localhost" : uri.getHost();
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = colon < 0 ? null : decode(info.substring(0, colon));
            password = decode(colon < 0 ? info : info.substring(colon + 1));
        }
        int db = 0;
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        if (!path.isEmpty()) {
            try {
                db = Integer.parseInt(path);
            } catch (NumberFormatException e) {
                throw new ConfigurationException("the Redis backend database must be a number, got '" + path + "'");
            }
        }
        long expires = RESULT_EXPIRES_SECONDS;
        if (uri.getQuery() != null) {
            for (String kv : uri.getQuery().split("&")) {
                if (kv.startsWith("result_expires=")) {
                    try {
                        expires = Long.parseLong(kv.substring("result_expires=".length()));
                    } catch (NumberFormatException e) {
                        throw new ConfigurationException("result_expires must be whole seconds: " + kv);
                    }
                }
            }
        }
        return new RedisResultBackend(host, port, user, password, db, ResultBackends.mask(url), expires);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String url() {
        return url;
    }

    private synchronized RespConnection commands() {
        if (closed) {
            throw new OperationalException("the Redis result backend is closed");
        }
        if (commands == null) {
            commands = new RespConnection(host, port, user, password, db, 10_000);
        }
        return commands;
    }

    private synchronized void dropCommands(RespConnection c) {
        if (commands == c) {
            commands = null;
        }
        c.close();
    }

    /** The stored state of {@code taskId}, or null when nothing is stored. */
    public @Nullable TaskResult get(String taskId) {
        RespConnection c = commands();
        try {
            Object raw = c.call("GET", KEY_PREFIX + taskId);
            return raw == null ? null : parse(taskId, (byte[]) raw);
        } catch (OperationalException e) {
            dropCommands(c);
            throw e;
        }
    }

    @Override
    public void store(TaskRequest request, TaskResult result) {
        try {
            storeOnce(result);
        } catch (OperationalException e) {
            // A connection dropped since the last use (a Redis restart): once more on a fresh one.
            log.debug("storing {} failed ({}); retrying on a new connection", result.taskId(), e.getMessage());
            storeOnce(result);
        }
    }

    private void storeOnce(TaskResult result) {
        String key = KEY_PREFIX + result.taskId();
        byte[] value;
        try {
            value = JSON.writeValueAsBytes(result.toMeta());
        } catch (IOException e) {
            throw new IllegalArgumentException("task " + result.taskId() + ": the result cannot be written as JSON: "
                    + e.getMessage(), e);
        }
        RespConnection c = commands();
        try {
            synchronized (c) {
                // Celery keeps a SUCCESS: a redelivered task that runs again must not turn it into something else.
                Object old = c.call("GET", key);
                if (old != null && TaskResult.SUCCESS.equals(parse(result.taskId(), (byte[]) old).status())) {
                    log.debug("task {}: SUCCESS already stored, not overwritten by {}", result.taskId(), result.status());
                    return;
                }
                c.send("MULTI");
                c.send("SETEX", key, Long.toString(expiresSeconds), value);
                c.send("PUBLISH", key, value);
                c.send("EXEC");
                for (int i = 0; i < 4; i++) {
                    c.read();
                }
            }
        } catch (OperationalException e) {
            dropCommands(c);
            throw e;
        }
    }

    @Override
    public CompletableFuture<TaskResult> await(String taskId) {
        Waiting.Entry w = waiting.register(taskId, () -> forget(taskId));
        if (!w.created()) {
            return w.future();
        }
        try {
            subscriber().send("SUBSCRIBE", KEY_PREFIX + taskId);
        } catch (OperationalException e) {
            // The reader reconnects and subscribes every waiting id again.
            log.debug("SUBSCRIBE for {} failed, left to the reconnect: {}", taskId, e.getMessage());
        }
        return w.future();
    }

    @Override
    public void forget(String taskId) {
        if (waiting.remove(taskId) != null) {
            RespConnection s;
            synchronized (this) {
                s = subscriber;
            }
            if (s != null) {
                try {
                    s.send("UNSUBSCRIBE", KEY_PREFIX + taskId);
                } catch (OperationalException ignored) {
                    // Gone with the connection.
                }
            }
        }
    }

    private synchronized RespConnection subscriber() {
        if (closed) {
            throw new OperationalException("the Redis result backend is closed");
        }
        if (subscriber == null) {
            subscriber = new RespConnection(host, port, user, password, db, 10_000);
            RespConnection s = subscriber;
            Thread t = new Thread(() -> readLoop(s), "kombu4j-celery-redis-results");
            t.setDaemon(true);
            reader = t;
            t.start();
        }
        return subscriber;
    }

    private void readLoop(RespConnection s) {
        while (!closed) {
            Object reply;
            try {
                reply = s.read();
            } catch (OperationalException e) {
                if (closed) {
                    return;
                }
                log.warn("Redis result backend subscription lost ({}); reconnecting", e.getMessage());
                reconnect(s);
                return;
            }
            if (reply instanceof List<?> l && l.size() >= 3 && l.get(0) instanceof byte[] kind
                    && l.get(1) instanceof byte[] channel) {
                String k = new String(kind, StandardCharsets.UTF_8);
                String key = new String(channel, StandardCharsets.UTF_8);
                if (!key.startsWith(KEY_PREFIX)) {
                    continue;
                }
                String id = key.substring(KEY_PREFIX.length());
                if (k.equals("subscribe")) {
                    try {
                        deliver(id, get(id));
                    } catch (RuntimeException e) {
                        log.warn("GET of {} after subscribing failed: {}", key, e.getMessage());
                    }
                } else if (k.equals("message") && l.get(2) instanceof byte[] payload) {
                    try {
                        deliver(id, parse(id, payload));
                    } catch (RuntimeException e) {
                        log.warn("unreadable result on {}: {}", key, e.getMessage());
                    }
                }
            }
        }
    }

    private void deliver(String id, @Nullable TaskResult r) {
        if (r != null) {
            waiting.complete(id, r);
        }
    }

    private void reconnect(RespConnection old) {
        old.close();
        synchronized (this) {
            if (subscriber == old) {
                subscriber = null;
            }
        }
        long delay = 100;
        while (!closed) {
            try {
                RespConnection s = subscriber();
                for (String id : waiting.ids()) {
                    s.send("SUBSCRIBE", KEY_PREFIX + id);
                }
                return;
            } catch (OperationalException e) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                delay = Math.min(delay * 2, 5000);
            }
        }
    }

    private static TaskResult parse(String id, byte[] json) {
        try {
            Object v = JSON.readValue(json, Object.class);
            if (!(v instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("task " + id + ": the stored result is not a JSON object");
            }
            return TaskResult.fromMeta(id, m);
        } catch (IOException e) {
            throw new IllegalArgumentException("task " + id + ": the stored result is not JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        RespConnection c;
        RespConnection s;
        synchronized (this) {
            closed = true;
            c = commands;
            s = subscriber;
            commands = null;
            subscriber = null;
        }
        if (c != null) {
            c.close();
        }
        if (s != null) {
            s.close();
        }
        OperationalException gone = new OperationalException("the Redis result backend was closed");
        waiting.failAll(gone);
    }

    @Override
    public String toString() {
        return "RedisResultBackend[" + url + "]";
    }
}
