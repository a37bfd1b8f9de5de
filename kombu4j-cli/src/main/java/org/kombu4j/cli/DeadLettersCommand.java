package org.kombu4j.cli;

import java.time.Instant;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Message;
import org.kombu4j.NotFoundException;
import org.kombu4j.Queue;
import org.kombu4j.UnroutableException;
import org.kombu4j.transport.DeadLetters;
import org.kombu4j.transport.OutgoingMessage;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kombu4j dead-letters}: lists the messages of a dead-letter queue and moves them back to the queues
 * they died in. Only the core API (a channel's {@code get}, {@code publish}, {@code ack}), so it works on
 * every transport; the {@code x-death} layout is RabbitMQ's, which the emulating transports write too.
 */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = {"List the messages of a dead-letter queue, or move them back to the queues they died in.",
                "Where a message died comes from its x-death header (RabbitMQ's, written the same way by every transport)."},
        subcommands = {DeadLettersCommand.ListCommand.class, DeadLettersCommand.RequeueCommand.class})
final class DeadLettersCommand implements Callable<Integer> {
    /** How much of a body the readable line shows. */
    static final int PREVIEW = 60;

    @ParentCommand KombuCommand top;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing a command: list or requeue");
    }

    /** The dead-letter queue and how many of its messages to take: shared by both subcommands. */
    static final class Source {
        @Option(names = "--queue", required = true, paramLabel = "DLQ", description = "The dead-letter queue.")
        String queue = "";

        @Option(names = "--count", paramLabel = "N", description = "At most N messages (default: all).")
        @Nullable Integer count;

        /**
         * Takes the queue's messages one at a time, unacknowledged, on a channel of its own: none is taken twice,
         * and those not acknowledged by {@code action} go back to the queue when the channel closes.
         */
        void each(Connection conn, java.util.function.BiConsumer<TransportChannel, TransportMessage> action) {
            if (queue.isEmpty()) {
                throw new UsageException("a queue needs a name");
            }
            if (count != null && count < 1) {
                throw new UsageException("--count must be at least 1, got " + count);
            }
            DeadLettersCommand.each(conn, queue, count, action);
        }
    }

    /** {@link Source#each} for a checked queue name and count (null: all). */
    static void each(Connection conn, String queue, @Nullable Integer count,
            java.util.function.BiConsumer<TransportChannel, TransportMessage> action) {
        try (TransportChannel ch = conn.channel()) {
            ch.declareQueue(Queue.of(queue), true);
            for (int n = 0; count == null || n < count; n++) {
                TransportMessage delivery = ch.get(queue, false);
                if (delivery == null) {
                    break;
                }
                action.accept(ch, delivery);
            }
        }
    }

    /**
     * What a requeue did.
     *
     * @param moved messages published to their queue and removed from the dead-letter queue
     * @param left why each message left in the dead-letter queue stayed (distinct reasons), in order
     * @param leftCount how many stayed
     */
    record Requeued(long moved, List<String> left, int leftCount) {
    }

    /**
     * Moves up to {@code count} (null: all) messages of {@code dlq} back to the queue each died in (its
     * {@code x-death} header), or to {@code to}: {@code dead-letters requeue}, and the monitor's action.
     * Each is published through the default exchange, mandatory, and acknowledged only once published;
     * one that cannot be moved stays in {@code dlq} (put back, marked redelivered, when the channel closes).
     */
    static Requeued requeue(Connection conn, String dlq, @Nullable String to, @Nullable Integer count) {
        long[] moved = {0};
        List<String> left = new ArrayList<>();
        each(conn, dlq, count, (ch, delivery) -> {
            String why = move(ch, delivery, dlq, to);
            if (why == null) {
                message(conn, ch, delivery).ack();
                moved[0]++;
            } else {
                // Left unacknowledged: not taken again, and back in place when the channel closes.
                left.add(why);
            }
        });
        return new Requeued(moved[0], left.stream().distinct().toList(), left.size());
    }

    /** Publishes a dead letter to where it goes; null when done, else why it stays. */
    private static @Nullable String move(TransportChannel ch, TransportMessage delivery, String dlq, @Nullable String to) {
        String target = to != null ? to : DeadLetters.lastQueue(delivery.content().headers());
        if (target == null) {
            return "no x-death header says where it died (give --to QUEUE)";
        }
        if (target.equals(dlq)) {
            return "it died in the dead-letter queue itself (give --to QUEUE)";
        }
        try {
            // Mandatory: a queue that is gone is reported, not a message silently dropped.
            ch.publish(new OutgoingMessage("", target, delivery.content(), true));
            return null;
        } catch (UnroutableException | NotFoundException e) {
            return "queue '" + target + "' is gone";
        }
    }

    /** {@code dead-letters list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Print the dead letters of a queue, one per line: reason, the queue it died in, count, time, "
                    + "routing key and the start of the body.",
                    "The messages stay in the queue: each is taken unacknowledged and all are put back when done "
                            + "(marked redelivered)."})
    static final class ListCommand implements Callable<Integer> {
        @ParentCommand DeadLettersCommand parent;

        @Mixin Source source;

        @Option(names = "--json", description = "One JSON object per message: reason, queue, count, time, routing_key "
                + "and the fields of consume --json (body, content_type, content_encoding, headers, properties, delivery_info).")
        boolean json;

        @Override
        public Integer call() {
            KombuCommand top = parent.top;
            try (Connection conn = top.open()) {
                source.each(conn, (ch, delivery) -> {
                    Message m = message(conn, ch, delivery);
                    top.out.println(json ? jsonLine(m) : textLine(m));
                });
            }
            top.out.flush();
            if (top.out.checkError()) {
                throw new CommandFailure("cannot write to standard output");
            }
            return 0;
        }
    }

    /** {@code dead-letters requeue}. */
    @Command(name = "requeue", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Move dead letters back to the queue each died in (its x-death header), or to --to: published "
                    + "through the default exchange with their headers, so x-death keeps counting, and removed from the "
                    + "dead-letter queue only once published.",
                    "Prints: moved N messages. A message that says nowhere where it died (and no --to), or whose queue is "
                            + "gone, is left in place and reported: exit status 1."})
    static final class RequeueCommand implements Callable<Integer> {
        @ParentCommand DeadLettersCommand parent;

        @Mixin Source source;

        @Option(names = "--to", paramLabel = "QUEUE", description = "Move them all to this queue instead.")
        @Nullable String to;

        @Override
        public Integer call() {
            if (to != null && (to.isEmpty() || to.equals(source.queue))) {
                throw new UsageException(to.isEmpty() ? "--to needs a queue name" : "--to names the dead-letter queue itself");
            }
            KombuCommand top = parent.top;
            if (source.queue.isEmpty()) {
                throw new UsageException("a queue needs a name");
            }
            if (source.count != null && source.count < 1) {
                throw new UsageException("--count must be at least 1, got " + source.count);
            }
            Requeued r;
            try (Connection conn = top.open()) {
                r = requeue(conn, source.queue, to, source.count);
            }
            top.out.println("moved " + r.moved() + " messages");
            top.out.flush();
            if (r.leftCount() > 0) {
                throw new CommandFailure("left " + r.leftCount() + (r.leftCount() == 1 ? " message" : " messages") + " in queue '"
                        + source.queue + "': " + String.join("; ", r.left()));
            }
            return 0;
        }
    }

    private static Message message(Connection conn, TransportChannel ch, TransportMessage delivery) {
        return new Message(delivery, ch, conn.serializers(), conn.compressors(), null, false);
    }

    /** Where, why, when and how often the message died, from its newest {@code x-death} entry. */
    record Death(@Nullable String reason, @Nullable String queue, long count, @Nullable String time, String routingKey) {
        static Death of(Message m) {
            Map<String, Object> headers = m.headers();
            Map<?, ?> last = DeadLetters.last(headers);
            Object reason = last != null ? last.get("reason") : headers.get("x-last-death-reason");
            long count = last != null && last.get("count") instanceof Number n ? n.longValue() : 0;
            String routingKey = m.deliveryInfo().routingKey();
            if (last != null && last.get("routing-keys") instanceof List<?> keys && !keys.isEmpty()) {
                routingKey = String.valueOf(keys.get(0));
            }
            return new Death(reason == null ? null : String.valueOf(reason), DeadLetters.lastQueue(headers), count,
                    last == null ? null : isoTime(last.get("time")), routingKey);
        }
    }

    /** An x-death time as ISO-8601: epoch seconds (as DeadLetters records it) or an AMQP timestamp. */
    static @Nullable String isoTime(@Nullable Object t) {
        if (t instanceof Number n) {
            return Instant.ofEpochSecond(n.longValue()).toString();
        }
        if (t instanceof Date d) {
            return d.toInstant().toString();
        }
        if (t instanceof TemporalAccessor) {
            return t.toString();
        }
        return t == null ? null : String.valueOf(t);
    }

    static String textLine(Message m) {
        Death d = Death.of(m);
        ConsumeCommand.Decoded b = ConsumeCommand.Decoded.of(m);
        String preview = ConsumeCommand.bodyText(m, b.body(), b.error());
        if (preview.length() > PREVIEW) {
            int end = Character.isHighSurrogate(preview.charAt(PREVIEW - 1)) ? PREVIEW - 1 : PREVIEW;
            preview = preview.substring(0, end) + "...";
        }
        return "[" + m.deliveryInfo().queue() + "] reason=" + orDash(d.reason()) + " queue=" + orDash(d.queue()) + " count="
                + d.count() + " time=" + orDash(d.time()) + " routing_key=" + d.routingKey() + " body=" + preview;
    }

    static String jsonLine(Message m) {
        Death d = Death.of(m);
        ConsumeCommand.Decoded b = ConsumeCommand.Decoded.of(m);
        Map<String, @Nullable Object> line = new LinkedHashMap<>();
        line.put("reason", d.reason());
        line.put("queue", d.queue());
        line.put("count", d.count());
        line.put("time", d.time());
        line.put("routing_key", d.routingKey());
        line.putAll(ConsumeCommand.jsonFields(m, b.body(), b.error()));
        return Json.write(line);
    }

    private static String orDash(@Nullable String s) {
        return s == null ? "-" : s;
    }
}
