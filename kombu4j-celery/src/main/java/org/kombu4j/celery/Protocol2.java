package org.kombu4j.celery;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Exchange;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/** Builds protocol-2 task messages byte for byte as Celery 5.2's {@code as_task_v2} and {@code send_task_message}. */
final class Protocol2 {
    // Python's datetime.isoformat() of an aware UTC time with microseconds.
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx");
    static final String ORIGIN = origin();

    private Protocol2() {
    }

    /** A message ready to publish: body {@code [args, kwargs, embed]} and its options. */
    record Outgoing(String taskId, List<Object> body, PublishOptions options) {
    }

    static Outgoing build(String name, List<?> args, Map<String, ?> kwargs, TaskOptions o, @Nullable String replyTo,
            String taskId, Instant now, boolean declare) {
        Instant eta = o.eta != null ? o.eta : o.countdown != null ? now.plus(o.countdown) : null;
        Instant expires = o.expires != null ? o.expires : o.expiresIn != null ? now.plus(o.expiresIn) : null;
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("lang", "py");
        h.put("task", name);
        h.put("id", taskId);
        h.put("shadow", null);
        h.put("eta", eta == null ? null : iso(eta));
        h.put("expires", expires == null ? null : iso(expires));
        h.put("group", null);
        h.put("group_index", null);
        h.put("retries", 0);
        h.put("timelimit", Arrays.asList(o.timeLimit, o.softTimeLimit));
        h.put("root_id", taskId);
        h.put("parent_id", null);
        h.put("argsrepr", PythonRepr.of(args));
        h.put("kwargsrepr", PythonRepr.of(kwargs));
        h.put("origin", ORIGIN);
        h.put("ignore_result", o.ignoreResult);
        h.putAll(o.headers);
        if (h.get("root_id") == null) {
            h.put("root_id", taskId);
        }
        Map<String, Object> embed = new LinkedHashMap<>();
        embed.put("callbacks", o.links.isEmpty() ? null : o.links.stream().map(Signature::toMap).toList());
        embed.put("errbacks", o.linkErrors.isEmpty() ? null : o.linkErrors.stream().map(Signature::toMap).toList());
        embed.put("chain", o.chain == null || o.chain.isEmpty() ? null : o.chain.stream().map(Signature::toMap).toList());
        embed.put("chord", o.chord == null ? null : o.chord.toMap());
        List<Object> body = Arrays.asList(new ArrayList<>(args), new LinkedHashMap<>(kwargs), embed);

        PublishOptions.Builder p = PublishOptions.builder()
                .exchange(Exchange.DEFAULT)
                .routingKey(o.queue)
                .serializer(o.serializer)
                .headers(h)
                .correlationId(taskId);
        if (declare) {
            p.declare(queue(o.queue));
        }
        if (replyTo != null) {
            p.replyTo(replyTo);
        }
        if (o.priority != null) {
            p.priority(o.priority);
        }
        if (expires != null) {
            // Celery also sets the message TTL from expires, in whole milliseconds (never negative).
            long ms = Math.max(0, Duration.between(now, expires).toMillis());
            p.expiration(Duration.ofMillis(ms));
        }
        return new Outgoing(taskId, body, p.build());
    }

    /** The queue Celery creates for a name: durable, bound to a direct exchange of the same name. */
    static Queue queue(String name) {
        return Queue.of(name, Exchange.direct(name), name);
    }

    static String iso(Instant t) {
        return OffsetDateTime.ofInstant(t, ZoneOffset.UTC).format(ISO);
    }

    private static String origin() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException | RuntimeException e) {
            host = "localhost";
        }
        String pid;
        try {
            pid = Long.toString(ProcessHandle.current().pid());
        } catch (UnsupportedOperationException e) {
            pid = ManagementFactory.getRuntimeMXBean().getName().split("@")[0];
        }
        return "gen" + pid + "@" + host;
    }
}
