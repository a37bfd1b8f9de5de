package org.kombu4j.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.DecodeException;
import org.kombu4j.Exchange;
import org.kombu4j.KombuException;
import org.kombu4j.Message;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.hub.Hub;
import org.kombu4j.hub.TimerEntry;
import org.kombu4j.transport.PriorityOrder;
import org.kombu4j.transport.TransportChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kombu4j demo}: a guided tour of the model on the embedded broker. Declares a direct, a
 * topic and a fanout exchange with queues bound to them, publishes a handful of messages (JSON,
 * text, compressed, prioritized), consumes them with consumers driven by a {@link Hub}, and prints
 * which queue got what and how long it took. Exit status 1 if an expected delivery is missing.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Walk through exchanges, queues, bindings, publishing and consuming on the embedded broker "
                + "(sqlite://, the file $KOMBU4J_HOME/broker.db, or --url if given; $KOMBU4J_URL is not used), "
                + "then remove the queues and exchanges it declared.",
                "Exit status 1 if an expected message did not arrive."})
final class DemoCommand implements Callable<Integer> {
    private static final long SAFETY_TIMEOUT_MS = 10_000;
    private static final int BODY_WIDTH = 56;

    @ParentCommand KombuCommand top;

    /** One published message and the queues it should reach. */
    private record Sent(int id, Exchange exchange, String routingKey, @Nullable Object body, String contentType,
            String extras, PublishOptions options, List<String> expected) {
    }

    /** One delivery, as the consumer saw it. */
    private record Received(int id, String queue, String exchange, String routingKey, @Nullable String contentType,
            String body, double atMs) {
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintStream out = top.out;
        String url = top.url != null && !top.url.isBlank() ? top.url : KombuCommand.DEFAULT_URL;

        Exchange direct = Exchange.direct("demo.direct");
        Exchange topic = Exchange.topic("demo.events");
        Exchange fanout = Exchange.fanout("demo.broadcast");
        List<Queue> queues = List.of(
                Queue.named("demo.tasks").bind(direct, "task").maxPriority(10).build(),
                Queue.of("demo.orders", topic, "order.*"),
                Queue.of("demo.audit", topic, "#"),
                Queue.of("demo.node1", fanout, ""),
                Queue.of("demo.node2", fanout, ""));
        List<Exchange> exchanges = List.of(direct, topic, fanout);

        try (Hub hub = new Hub(); Connection conn = Connection.open(url)) {
            out.println("kombu4j demo on " + conn.url().masked());
            out.println();
            TransportChannel admin = conn.channel();
            cleanUp(admin, queues, exchanges);

            out.println("1. Topology: exchanges route to queues through bindings");
            Table topo = new Table("   ", "exchange", "type", "binding key", "queue");
            for (Queue q : queues) {
                for (Binding b : q.bindings()) {
                    String key = b.exchange().type() == org.kombu4j.ExchangeType.FANOUT ? "(ignored)" : b.routingKey();
                    Integer maxPriority = q.maxPriority();
                    topo.row(b.exchange().name(), b.exchange().type().wireName(), key,
                            q.name() + (maxPriority != null ? " (x-max-priority " + maxPriority + ")" : ""));
                }
            }
            topo.print(out);
            out.println();

            List<Sent> plan = plan(conn, direct, topic, fanout);
            int expectedDeliveries = plan.stream().mapToInt(s -> s.expected().size()).sum();
            List<Received> got = new ArrayList<>();
            AtomicBoolean timedOut = new AtomicBoolean();
            long[] startedAt = new long[1];
            double publishMs = 0;

            // Consumers first, so every queue exists and is watched before the first publish.
            conn.registerWithEventLoop(hub);
            List<Consumer> consumers = new ArrayList<>();
            try {
                for (Queue q : queues) {
                    consumers.add(Consumer.builder(conn).queues(q).prefetch(10).onRawMessage(m -> {
                        got.add(received(m, (hub.ticker().nanoTime() - startedAt[0]) / 1e6));
                        m.ack();
                        if (got.size() >= expectedDeliveries) {
                            hub.stop();
                        }
                    }).consume());
                }

                Producer producer = conn.producer();
                startedAt[0] = hub.ticker().nanoTime();
                for (Sent s : plan) {
                    producer.publish(s.body(), s.options());
                }
                publishMs = (hub.ticker().nanoTime() - startedAt[0]) / 1e6;
                // A timer of the hub, so the safety timeout runs on the hub's clock, not a sleeping thread.
                TimerEntry safety = hub.callLater(Duration.ofMillis(SAFETY_TIMEOUT_MS), () -> {
                    timedOut.set(true);
                    hub.stop();
                });
                hub.runForever();
                safety.cancel();
            } finally {
                for (Consumer c : consumers) {
                    c.close();
                }
            }
            out.println("2. Published " + plan.size() + " messages (in " + String.format(Locale.ROOT, "%.1f", publishMs) + " ms)");
            Table pub = new Table("   ", "#", "exchange", "routing key", "content type", "extras", "body");
            for (Sent s : plan) {
                pub.row(s.id(), s.exchange().name(), s.routingKey().isEmpty() ? "(none)" : s.routingKey(),
                        s.contentType(), s.extras(), shorten(renderBody(s.body())));
            }
            pub.print(out);
            out.println();

            double totalMs = (hub.ticker().nanoTime() - startedAt[0]) / 1e6;
            double lastMs = got.isEmpty() ? totalMs : got.get(got.size() - 1).atMs();

            out.println("3. Consumed on the event loop (" + queues.size() + " consumers, one thread) and acknowledged");
            Table rec = new Table("   ", "#", "queue", "from exchange", "routing key", "content type", "t+", "body");
            for (Received r : got) {
                rec.row(r.id(), r.queue(), r.exchange(), r.routingKey().isEmpty() ? "(none)" : r.routingKey(),
                        r.contentType(), String.format(Locale.ROOT, "%.2f ms", r.atMs()), shorten(r.body()));
            }
            rec.print(out);
            priorityNote(out, conn, got);
            out.println();

            out.println("4. Where each message went");
            List<String> missing = new ArrayList<>();
            Table where = new Table("   ", "#", "routing key", "expected", "received", "");
            for (Sent s : plan) {
                Set<String> arrived = new TreeSet<>();
                for (Received r : got) {
                    if (r.id() == s.id()) {
                        arrived.add(r.queue());
                    }
                }
                Set<String> expected = new TreeSet<>(s.expected());
                boolean ok = arrived.equals(expected);
                for (String q : expected) {
                    if (!arrived.contains(q)) {
                        missing.add("#" + s.id() + " -> " + q);
                    }
                }
                where.row(s.id(), s.routingKey().isEmpty() ? "(none)" : s.routingKey(), String.join(", ", expected),
                        arrived.isEmpty() ? "-" : String.join(", ", arrived), ok ? "ok" : "MISMATCH");
            }
            where.print(out);
            out.println();

            double seconds = lastMs / 1000.0;
            out.println(String.format(Locale.ROOT,
                    "Result: %d messages published, %d of %d deliveries received and acknowledged in %.1f ms (%.0f msgs/s)%s",
                    plan.size(), got.size(), expectedDeliveries, lastMs, seconds > 0 ? got.size() / seconds : 0.0,
                    timedOut.get() ? ", stopped by the " + SAFETY_TIMEOUT_MS / 1000 + " s safety timeout" : ""));
            cleanUp(admin, queues, exchanges);
            admin.close();
            out.println("Cleaned up " + queues.size() + " queues and " + exchanges.size() + " exchanges.");
            out.flush();
            if (!missing.isEmpty()) {
                throw new CommandFailure("demo: " + missing.size() + " expected deliveries missing: " + String.join(", ", missing));
            }
        }
        return 0;
    }

    /** Points out the prioritized message overtaking the one published before it, where it did. */
    private static void priorityNote(PrintStream out, Connection conn, List<Received> got) {
        int first = -1;
        for (Received r : got) {
            if (r.queue().equals("demo.tasks")) {
                first = r.id();
                break;
            }
        }
        PriorityOrder order = conn.transport().capabilities().priorityOrder();
        if (first == 2) {
            out.println("   #2 (priority 9) overtook #1 in demo.tasks: the queue has x-max-priority and on this broker "
                    + (order == PriorityOrder.LOWER_FIRST ? "a lower" : "a higher") + " number is consumed first.");
        } else if (first == 1) {
            // A consumer already waiting takes #1 the moment it lands (SQLite, RabbitMQ): there was nothing to reorder yet.
            out.println("   #1 came before #2 (priority 9) in demo.tasks: " + (order == PriorityOrder.LOWER_FIRST
                    ? "on this broker a lower number is consumed first."
                    : "the waiting consumer took #1 as soon as it was published; priorities order the messages that wait together."));
        }
    }

    private static List<Sent> plan(Connection conn, Exchange direct, Exchange topic, Exchange fanout) {
        List<Sent> plan = new ArrayList<>();
        String compression = null;
        try {
            compression = conn.compressors().byName("zlib").name();
        } catch (KombuException | UnsupportedOperationException e) {
            // Not in this build: the broadcast goes uncompressed and the table says so.
        }
        add(plan, direct, "task", map("task", "resize", "image", "cat.png"), null, null, List.of("demo.tasks"));
        add(plan, direct, "task", map("task", "thumbnail", "image", "dog.png"), 9, null, List.of("demo.tasks"));
        add(plan, topic, "order.created", map("order", 1001, "total", 25.5), null, null, List.of("demo.orders", "demo.audit"));
        add(plan, topic, "order.shipped", map("order", 1001, "carrier", "UPS"), null, null,
                List.of("demo.orders", "demo.audit"));
        add(plan, topic, "user.signup", "alice signed up", null, null, List.of("demo.audit"));
        add(plan, fanout, "", map("notice", "maintenance at 02:00 UTC", "minutes", 30),
                null, compression == null ? "" : compression, List.of("demo.node1", "demo.node2"));
        return plan;
    }

    private static void add(List<Sent> plan, Exchange exchange, String routingKey, Object body, @Nullable Integer priority,
            @Nullable String compression, List<String> expected) {
        int id = plan.size() + 1;
        PublishOptions.Builder o = PublishOptions.builder().exchange(exchange).routingKey(routingKey).header("demo_id", id);
        String contentType;
        List<String> extras = new ArrayList<>();
        if (body instanceof String) {
            o.contentType("text/plain", "utf-8");
            contentType = "text/plain";
        } else {
            o.serializer("json");
            contentType = "application/json";
        }
        if (priority != null) {
            o.priority(priority);
            extras.add("priority " + priority);
        }
        if (compression != null) {
            if (compression.isEmpty()) {
                extras.add("uncompressed (no zlib)");
            } else {
                o.compression(compression);
                extras.add(compression + " compressed");
            }
        }
        plan.add(new Sent(id, exchange, routingKey, body, contentType, String.join(", ", extras), o.build(), expected));
    }

    private static Received received(Message m, double atMs) {
        Object idHeader = m.headers().get("demo_id");
        int id = idHeader instanceof Number ? ((Number) idHeader).intValue() : -1;
        String body;
        try {
            body = renderBody(m.decode());
        } catch (DecodeException e) {
            body = "<cannot decode: " + Main.oneLine(String.valueOf(e.getMessage())) + ">";
        }
        String type = m.contentType() + (m.compression() != null ? " (" + m.compression() + ")" : "")
                + (m.priority() != 0 ? " p" + m.priority() : "");
        return new Received(id, m.deliveryInfo().queue(), m.deliveryInfo().exchange(), m.deliveryInfo().routingKey(), type,
                body, atMs);
    }

    private static String renderBody(@Nullable Object body) {
        return body instanceof String ? "\"" + body + "\"" : Json.write(body);
    }

    private static String shorten(String s) {
        return s.length() <= BODY_WIDTH ? s : s.substring(0, BODY_WIDTH - 3) + "...";
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Leaves nothing behind, and starts from nothing if an earlier run was interrupted. */
    private static void cleanUp(TransportChannel ch, List<Queue> queues, List<Exchange> exchanges) {
        for (Queue q : queues) {
            try {
                ch.deleteQueue(q.name());
            } catch (KombuException e) {
                // Absent already.
            }
        }
        for (Exchange e : exchanges) {
            try {
                ch.deleteExchange(e.name());
            } catch (KombuException ex) {
                // Absent already.
            }
        }
    }
}
