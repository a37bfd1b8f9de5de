package org.kombu4j.redis;

import org.kombu4j.transport.virtual.EnvelopeWriter;
import org.kombu4j.transport.virtual.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.kombu4j.ConfigurationException;
import org.kombu4j.ExchangeType;
import org.kombu4j.OperationalException;
import org.kombu4j.UnroutableException;
import org.kombu4j.transport.Unroutable;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.redis.internal.RespError;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.RawMessage;

/**
 * One channel's publishing: routed in the client on the transport's {@link Routes} when Redis tracks
 * them, else by the {@link Script#PUBLISH publish script}; synchronous, or pipelined with
 * {@code publish_pipeline=N}, where the first failure is kept and thrown by the channel's next
 * publish or its close. Thread-safe.
 */
final class RedisPublisher {
    private final RedisTransport transport;
    private final Keys keys;
    /** The first failure of a pipelined publish not yet reported to the caller. */
    private final AtomicReference<@Nullable String> failure = new AtomicReference<>();

    RedisPublisher(RedisTransport transport) {
        this.transport = transport;
        this.keys = transport.keys();
    }

    /**
     * Publishes {@code message}; first throws the failure of an earlier pipelined publish, if any. With
     * {@code wait_replicas}, returns only once that many replicas hold it ({@link ReplicaWait}).
     */
    void publish(OutgoingMessage message) {
        publishOnce(message);
        transport.replicaWait().afterPublish(transport);
    }

    private void publishOnce(OutgoingMessage message) {
        reportFailure();
        Prepared p = prepare(message);
        int step = p.step();
        String suffix = p.suffix();
        byte[] envelope = p.envelope();
        String ex = message.exchange();
        if (message.isDelayed() && message.deliverAt() > transport.clock().millis()) {
            publishDelayed(ex, message.routingKey(), step, envelope, message.deliverAt(), message.mandatory());
            return;
        }
        int depth = transport.options().publishPipeline();
        Routes routes = transport.routes();
        if (routes.enabled()) {
            publishRouted(routes, ex, message.routingKey(), suffix, envelope, message.mandatory(), depth);
            return;
        }
        if (depth > 0 && !message.mandatory()) {
            publishPipelined(ex, message.routingKey(), suffix, envelope, depth);
            if (ex.isEmpty()) {
                transport.clientStats().published(message.routingKey());
            }
            return;
        }
        if (ex.isEmpty() && depth == 0) {
            // The default exchange routes to the queue named by the routing key: a plain LPUSH, the
            // same write the script would make, without running Lua.
            String key = keys.prefix() + message.routingKey() + suffix;
            transport.commands(c -> RedisTransport.check(c.pipelineSpinning(List.of(List.of("LPUSH", key, envelope))).get(0),
                    "LPUSH"));
            transport.clientStats().published(message.routingKey());
            return;
        }
        Object r = transport.commands(c -> Script.PUBLISH.call(c, scriptKeys(ex),
                scriptArgs(ex, message.routingKey(), suffix, envelope)));
        if (Resp.integer(r) == 0) {
            if (message.mandatory()) {
                throw unroutable(ex, message.routingKey());
            }
            Unroutable.dropped(ex, message.routingKey());
        }
        // Routed by the script on the server: which queues it reached is not known here, so a monitor sees those
        // messages only in the queues' depth (a lower bound).
    }

    private void countPublished(List<String> queues) {
        for (int i = 0; i < queues.size(); i++) {
            transport.clientStats().published(queues.get(i));
        }
    }

    /** A message's priority step, the suffix of the list that step writes to, and its envelope. */
    private record Prepared(int step, String suffix, byte[] envelope) {}

    private Prepared prepare(OutgoingMessage message) {
        RawMessage content = message.content();
        int step = transport.options().stepFor(content.priority());
        return new Prepared(step, step == 0 ? "" : keys.sep() + step,
                EnvelopeWriter.encode(message.exchange(), message.routingKey(), content));
    }

    private static UnroutableException unroutable(String ex, String routingKey) {
        return Unroutable.returned(ex, routingKey);
    }

    /**
     * Routes in the client on the cached tables (read with one round trip on a miss) and sends the
     * writes the publish script would make: an LPUSH per queue (in MULTI/EXEC when there are several,
     * so a message reaches all of them or none), or a PUBLISH for fanout. With {@code depth > 0} the
     * replies are checked as they arrive and a failure is thrown by the next publish or close.
     */
    private void publishRouted(Routes routes, String ex, String routingKey, String suffix, byte[] envelope,
            boolean mandatory, int depth) {
        transport.commands(c -> {
            // Invalidations already on the wire are applied before the tables are read (with pipelined
            // replies outstanding the connection is read after every batch anyway). The default exchange
            // reads no table: no read system call for it (a push still arrives with the next reply).
            if (!ex.isEmpty() && (depth == 0 || c.pendingReplies() == 0)) {
                c.poll();
            }
            Writes w = routedWrites(c, routes, ex, routingKey, suffix, envelope, mandatory);
            if (w == null) {
                return null;
            }
            List<List<Object>> cmds = w.commands();
            if (depth == 0) {
                List<Object> r = c.pipelineSpinning(cmds);
                for (int i = 0; i < r.size(); i++) {
                    RedisTransport.check(r.get(i), String.valueOf(cmds.get(i).get(0)));
                }
                countPublished(w.reached());
                return null;
            }
            countPublished(w.reached()); // pipelined: counted as sent (a failure is thrown by the next publish)
            Consumer<@Nullable Object> check = pipelinedCheck(ex, routingKey);
            List<Consumer<@Nullable Object>> cbs = new ArrayList<>(cmds.size());
            for (int i = 0; i < cmds.size(); i++) {
                cbs.add(check);
            }
            c.sendAll(cmds, cbs);
            // Written in batches of depth/2 publishes (one write for many, as redis-benchmark -P does);
            // a partial batch is written by the transport's linger flush within a millisecond, so a
            // publish never waits in memory for the next one.
            if (c.queuedWrites() >= Math.max(1, depth / 2) || c.pendingReplies() > depth + depth / 2) {
                c.awaitPending(depth);
            } else {
                transport.publishPipeline().lingerFlush();
            }
            return null;
        });
    }

    /** The commands of a publish routed in the client, and the queues they reach (none for fanout). */
    private record Writes(List<List<Object>> commands, List<String> reached) {}

    /**
     * What the publish script would write, routed on the cached tables: an LPUSH per queue (in MULTI/EXEC when
     * there are several, so a message reaches all of them or none), or a PUBLISH for fanout; null if no queue
     * is bound (the message is dropped, as Kombu does).
     *
     * @throws UnroutableException if no queue is bound and {@code mandatory}
     */
    private @Nullable Writes routedWrites(RedisConnection c, Routes routes, String ex, String routingKey, String suffix,
            byte[] envelope, boolean mandatory) {
        if (ex.isEmpty()) {
            return new Writes(List.of(List.of("LPUSH", keys.prefix() + routingKey + suffix, envelope)), List.of(routingKey));
        }
        Routes.Table t = table(c, routes, ex);
        if (t.type() == ExchangeType.FANOUT) {
            return new Writes(List.of(List.of("PUBLISH", fanoutChannel(ex, routingKey), envelope)), List.of());
        }
        List<String> queues = t.queues(transport.router(), routingKey);
        if (queues.isEmpty()) {
            if (mandatory) {
                throw unroutable(ex, routingKey);
            }
            Unroutable.dropped(ex, routingKey); // as AMQP and Kombu: dropped, and Kombu warns
            return null;
        }
        if (queues.size() == 1) {
            return new Writes(List.of(List.of("LPUSH", keys.prefix() + queues.get(0) + suffix, envelope)), queues);
        }
        List<List<Object>> cmds = new ArrayList<>(queues.size() + 2);
        cmds.add(List.of("MULTI"));
        for (String q : queues) {
            cmds.add(List.of("LPUSH", keys.prefix() + q + suffix, envelope));
        }
        cmds.add(List.of("EXEC"));
        return new Writes(cmds, queues);
    }

    /**
     * Publishes without waiting for Redis's reply: the command(s) are written (in the caller's thread, under the
     * command lock) and the future completes when every reply is in, or exceptionally with an error reply or the
     * loss of the connection (see {@link TrackedPublishes}, which also bounds how many are outstanding). Routed in
     * the client as {@link #publishRouted}; what gains nothing from it or cannot be routed in the client (a delayed
     * message, {@code wait_replicas}, a named exchange when Redis refused tracking: the publish script) is
     * published synchronously and the future returned complete.
     */
    CompletableFuture<Void> publishTracked(OutgoingMessage message) {
        String ex = message.exchange();
        Routes routes = transport.routes();
        boolean delayed = message.isDelayed() && message.deliverAt() > transport.clock().millis();
        if (delayed || transport.replicaWait().replicas() > 0 || (!ex.isEmpty() && !routes.enabled())) {
            publish(message);
            return CompletableFuture.completedFuture(null);
        }
        reportFailure();
        Prepared p = prepare(message);
        String rk = message.routingKey();
        CompletableFuture<Void> future = new CompletableFuture<>();
        TrackedPublishes tracked = transport.trackedPublishes();
        PublishPipeline pipeline = transport.publishPipeline();
        String what = "publish to exchange '" + ex + "' with routing key '" + rk + "'";
        tracked.acquire(); // blocks while the window is full: never under the command lock, which the reader needs
        // Once tracked, the publish gives its place back when it settles; before that, the finally below does.
        boolean[] isTracked = {false};
        try {
            transport.commands(c -> {
                if (pipeline.takeRetryQueued()) {
                    c.awaitPending(0); // a NOSCRIPT retry of a pipelined publish goes first, in order
                }
                if (!ex.isEmpty()) {
                    c.poll(); // routing-table invalidations already on the wire first
                }
                Writes w = routedWrites(c, routes, ex, rk, p.suffix(), p.envelope(), message.mandatory());
                if (w == null) {
                    return null;
                }
                List<List<Object>> cmds = w.commands();
                TrackedPublishes.Tracked t = tracked.track(cmds.size(), what, future);
                isTracked[0] = true;
                try {
                    c.sendAll(cmds, java.util.Collections.nCopies(cmds.size(), t));
                } catch (RuntimeException e) {
                    t.fail(e); // nothing was queued: settle it here (it gives its place back)
                    throw e;
                }
                countPublished(w.reached());
                // A write failure closes the connection, which fails the queued callbacks: the future settles.
                tracked.written(c, cmds.size());
                return null;
            });
        } finally {
            if (!isTracked[0]) {
                tracked.release();
            }
        }
        if (!isTracked[0]) {
            future.complete(null); // dropped, unroutable without mandatory: as a confirm without a queue
        }
        return future;
    }

    /** The routing table of {@code ex}: cached, or read with one round trip (and cached when Redis tracks it). */
    private Routes.Table table(RedisConnection c, Routes routes, String ex) {
        Routes.Table t = routes.enabled() ? routes.get(ex) : null;
        if (t == null) {
            long readAt = routes.generation();
            List<Object> r = c.pipeline(List.of(List.of("HGET", keys.exchangeTypes(), ex),
                    List.of("SMEMBERS", keys.bindings(ex))));
            t = routes.table(RedisTransport.check(r.get(0), "HGET"), RedisTransport.check(r.get(1), "SMEMBERS"));
            if (routes.enabled()) {
                routes.put(ex, t, readAt);
            }
        }
        return t;
    }

    /** The queues {@code ex} routes {@code routingKey} to, on the current bindings; null for a fanout exchange. */
    private @Nullable List<String> queuesOf(RedisConnection c, String ex, String routingKey) {
        if (ex.isEmpty()) {
            return List.of(routingKey);
        }
        Routes routes = transport.routes();
        if (routes.enabled() && c.pendingReplies() == 0) {
            c.poll(); // invalidations already on the wire first
        }
        Routes.Table t = table(c, routes, ex);
        return t.type() == ExchangeType.FANOUT ? null : t.queues(transport.router(), routingKey);
    }

    /** The pub/sub channel of a fanout publish (WIRE.md §5). */
    private String fanoutChannel(String ex, String routingKey) {
        String ch = keys.fanoutChannel(ex);
        return transport.options().fanoutPatterns() && !routingKey.isEmpty() ? ch + "/" + routingKey : ch;
    }

    /**
     * Publishes {@code message} (due at once) and runs {@code more} in one MULTI/EXEC, so both happen or
     * neither: dead-lettering publishes the dead letter and drops the {@code unacked} record together.
     */
    void publishWith(OutgoingMessage message, List<List<Object>> more) {
        reportFailure();
        Prepared p = prepare(message);
        String suffix = p.suffix();
        byte[] envelope = p.envelope();
        String ex = message.exchange();
        String rk = message.routingKey();
        transport.commands(c -> {
            List<String> queues = queuesOf(c, ex, rk);
            List<List<Object>> cmds = new ArrayList<>();
            cmds.add(List.of("MULTI"));
            if (queues == null) {
                cmds.add(List.of("PUBLISH", fanoutChannel(ex, rk), envelope));
            } else {
                for (String q : queues) {
                    cmds.add(List.of("LPUSH", keys.prefix() + q + suffix, envelope));
                }
            }
            cmds.addAll(more);
            cmds.add(List.of("EXEC"));
            List<Object> r = c.pipeline(cmds);
            for (int i = 0; i < r.size(); i++) {
                RedisTransport.check(r.get(i), String.valueOf(cmds.get(i).get(0)));
            }
            for (Object o : Resp.array(r.get(r.size() - 1))) {
                RedisTransport.check(o, "a command in MULTI");
            }
            return null;
        });
    }

    /**
     * Routes a delayed message now (in the client, on the bindings of this moment) and adds it to the
     * delayed set of each queue it reaches (in MULTI/EXEC when several), never to a list: a Python
     * consumer would take it early. Each consumer's {@link DelayedMover} moves it when due.
     */
    private void publishDelayed(String ex, String routingKey, int step, byte[] envelope, long deliverAt, boolean mandatory) {
        byte[] prefix = (step + ":").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] member = new byte[prefix.length + envelope.length];
        System.arraycopy(prefix, 0, member, 0, prefix.length);
        System.arraycopy(envelope, 0, member, prefix.length, envelope.length);
        String score = Long.toString(deliverAt);
        transport.commands(c -> {
            List<String> queues = queuesOf(c, ex, routingKey);
            if (queues == null) {
                throw new ConfigurationException("exchange '" + ex + "' is fanout (pub/sub on Redis, which keeps"
                        + " nothing): a delayed message cannot wait there; publish it without a delay");
            }
            if (queues.isEmpty()) {
                if (mandatory) {
                    throw unroutable(ex, routingKey);
                }
                Unroutable.dropped(ex, routingKey);
                return null;
            }
            List<List<Object>> cmds = new ArrayList<>(queues.size() + 2);
            if (queues.size() > 1) {
                cmds.add(List.of("MULTI"));
            }
            for (String q : queues) {
                cmds.add(List.of("ZADD", keys.delayed(q), score, member));
            }
            if (queues.size() > 1) {
                cmds.add(List.of("EXEC"));
            }
            List<Object> r = c.pipeline(cmds);
            for (int i = 0; i < r.size(); i++) {
                RedisTransport.check(r.get(i), String.valueOf(cmds.get(i).get(0)));
            }
            return null;
        });
    }

    /**
     * Queues the publish on the command connection and returns once it is written and at most
     * {@code depth} replies are outstanding. Each reply is checked when it arrives (whoever reads
     * the connection next); an error is kept and thrown by the next publish or close.
     */
    private void publishPipelined(String ex, String routingKey, String suffix, byte[] envelope, int depth) {
        Consumer<@Nullable Object> check = pipelinedCheck(ex, routingKey);
        PublishPipeline pipeline = transport.publishPipeline();
        transport.commands(c -> {
            if (pipeline.takeRetryQueued()) {
                c.awaitPending(0);
            }
            // Always the script, even on the default exchange: after a NOSCRIPT (fresh or flushed server)
            // every EVALSHA already sent fails too and is retried in order, while a plain LPUSH sent
            // among them would overtake the retried ones.
            Script.PUBLISH.send(c, scriptKeys(ex), scriptArgs(ex, routingKey, suffix, envelope),
                    () -> {
                        pipeline.retryQueued(); // runs under the command lock, in the reading call
                        c.flush();
                    }, check);
            c.awaitPending(depth);
            return null;
        });
    }

    /** The {@link Script#PUBLISH publish script}'s keys for exchange {@code ex}. */
    private List<Object> scriptKeys(String ex) {
        return List.of(keys.bindings(ex), keys.exchangeTypes());
    }

    /** The {@link Script#PUBLISH publish script}'s arguments, the same for a call and a pipelined send. */
    private List<Object> scriptArgs(String ex, String routingKey, String suffix, byte[] envelope) {
        return List.of(keys.prefix(), ex, routingKey, keys.sep(), suffix, envelope, keys.fanoutChannel(ex),
                transport.options().fanoutPatterns() ? "1" : "0");
    }

    /** Keeps the first error reply of a pipelined publish for the next publish or close to throw. */
    private Consumer<@Nullable Object> pipelinedCheck(String ex, String routingKey) {
        return r -> {
            if (r instanceof RespError) {
                failure.compareAndSet(null, "a pipelined publish to exchange '" + ex + "' with routing key '"
                        + routingKey + "' failed: " + ((RespError) r).message());
            } else if (r instanceof Long && (Long) r == 0L) {
                Unroutable.dropped(ex, routingKey); // the publish script's reply: no queue took it
            }
        };
    }

    /** Waits until every pipelined publish is answered (closing: so its failure is reported by the close). */
    void awaitPipelined() {
        if (transport.options().publishPipeline() > 0 && transport.isConnected()) {
            transport.commands(c -> {
                c.awaitPending(0);
                return null;
            });
        }
    }

    /** Throws the failure of an earlier pipelined publish, once. */
    void reportFailure() {
        String f = failure.get() == null ? null : failure.getAndSet(null); // a plain read per publish
        if (f != null) {
            throw new OperationalException(f);
        }
    }
}
