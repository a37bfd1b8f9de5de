package org.kombu4j.celery;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
    /** Celery's prefix of a group's keys (chord counters {@code .j}, {@code .t}, {@code .s}; saved group results). */
    public static final String GROUP_KEY_PREFIX = "celery-taskset-meta-";
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

    /**
     * Celery's {@code set_chord_size}: {@code celery-taskset-meta-<group>.s} holds the header's size (SETEX with
     * {@code result_expires}, and PUBLISHed, as Python's {@code set} does). The Redis backend's
     * {@code on_chord_part_return} adds each header result to the sorted set {@code <same>.j} and compares its size
     * with this count plus {@code <same>.t}.
     */
    @Override
    public void setChordSize(String groupId, int size) {
        String key = GROUP_KEY_PREFIX + groupId + ".s";
        String value = Integer.toString(size);
        RespConnection c = commands();
        try {
            synchronized (c) {
                storeAndPublish(c, key, value);
            }
        } catch (OperationalException e) {
            dropCommands(c);
            throw e;
        }
    }

    /**
     * As Celery 5.2's Redis backend (with its default {@code result_chord_ordered}): {@code ZADD <group>.j} the
     * part {@code [1, id, state, result]} scored by its index, then in the same transaction its count, {@code .t}
     * and {@code .s}; the call that brings the count to {@code .s + .t} reads the parts in order and deletes the
     * three keys.
     */
    @Override
    public @Nullable ChordState onChordPartReturn(String groupId, @Nullable Integer groupIndex, TaskResult result) {
        String base = GROUP_KEY_PREFIX + groupId;
        String jkey = base + ".j";
        String tkey = base + ".t";
        String skey = base + ".s";
        byte[] part;
        try {
            part = JSON.writeValueAsBytes(java.util.Arrays.asList(1, result.taskId(), result.status(), result.result()));
        } catch (IOException e) {
            throw new IllegalArgumentException("task " + result.taskId() + ": the result cannot be written as JSON", e);
        }
        String score = groupIndex == null ? "+inf" : Integer.toString(groupIndex);
        String ttl = Long.toString(expiresSeconds);
        RespConnection c = commands();
        try {
            List<?> replies;
            synchronized (c) {
                c.send("MULTI");
                c.send("ZADD", jkey, score, part);
                c.send("ZCOUNT", jkey, "-inf", "+inf");
                c.send("GET", tkey);
                c.send("GET", skey);
                c.send("EXPIRE", jkey, ttl);
                c.send("EXPIRE", tkey, ttl);
                c.send("EXPIRE", skey, ttl);
                c.send("EXEC");
                for (int i = 0; i < 8; i++) {
                    c.read(); // +OK and +QUEUED
                }
                replies = (List<?>) c.read();
            }
            long ready = ((Number) replies.get(1)).longValue();
            long added = replies.get(2) == null ? 0 : Long.parseLong(new String((byte[]) replies.get(2), StandardCharsets.UTF_8));
            if (replies.get(3) == null) {
                return null;
            }
            long size = Long.parseLong(new String((byte[]) replies.get(3), StandardCharsets.UTF_8)) + added;
            if (ready != size) {
                return null;
            }
            List<?> parts;
            synchronized (c) {
                parts = (List<?>) c.call("ZRANGE", jkey, "0", "-1");
                c.send("DEL", jkey, tkey, skey);
                c.read();
            }
            List<@Nullable Object> values = new ArrayList<>();
            for (Object p : parts) {
                List<?> t = JSON.readValue((byte[]) p, List.class);
                String state = String.valueOf(t.get(2));
                if (TaskResult.FAILURE.equals(state) || TaskResult.REVOKED.equals(state)) {
                    // Celery's words: ChordError('Dependency {tid} raised {retval!r}').
                    return new ChordState(values, "Dependency " + t.get(1) + " raised " + describe(state, t.get(3)));
                }
                values.add(t.get(3));
            }
            return new ChordState(values, null);
        } catch (IOException e) {
            throw new IllegalStateException("group " + groupId + ": a chord part is not Celery's JSON", e);
        } catch (OperationalException e) {
            dropCommands(c);
            throw e;
        }
    }

    /** Python's repr of the exception a stored failure stands for, e.g. {@code ValueError('boom')}. */
    private static String describe(String state, @Nullable Object stored) {
        if (stored instanceof Map<?, ?> m && m.get("exc_type") != null) {
            Object msg = m.get("exc_message");
            List<?> args = msg instanceof List<?> l ? l : msg == null ? List.of() : List.of(msg);
            StringBuilder sb = new StringBuilder().append(m.get("exc_type")).append('(');
            for (int i = 0; i < args.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(PythonRepr.of(args.get(i)));
            }
            return sb.append(')').toString();
        }
        return state + "(" + PythonRepr.of(stored) + ")";
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
                storeAndPublish(c, key, value);
            }
        } catch (OperationalException e) {
            dropCommands(c);
            throw e;
        }
    }

    /**
     * {@code SETEX key} then {@code PUBLISH key} in one transaction (value: a String or the result's bytes), as
     * Celery's Redis backend stores a result and wakes its waiters; the caller holds {@code c}'s lock.
     */
    private void storeAndPublish(RespConnection c, String key, Object value) {
        c.send("MULTI");
        c.send("SETEX", key, Long.toString(expiresSeconds), value);
        c.send("PUBLISH", key, value);
        c.send("EXEC");
        for (int i = 0; i < 4; i++) {
            c.read();
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
