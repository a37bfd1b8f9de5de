package org.kombu4j.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.DecodeException;
import org.kombu4j.DeliveryInfo;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.KombuException;
import org.kombu4j.Message;
import org.kombu4j.NotFoundException;
import org.kombu4j.OperationalException;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;
import org.kombu4j.hub.Ticker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code kombu4j consume}: prints messages of a queue, acknowledging each after printing it. */
@Command(name = "consume", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Consume messages from a queue and print them, one per line.",
                "With --queue alone the queue must exist and is not redeclared (so queues declared elsewhere "
                        + "with arguments work); with --exchange it is declared (durable) and bound first.",
                "Exit status 0 when --count messages arrived (or --count was not given), 1 on a timeout before --count.",
                "A message that cannot be decoded (a content type such as pickle that is never accepted, a corrupt body) "
                        + "is printed with its body in base64 and a decode_error field, a warning goes to standard error, "
                        + "and it is left in the queue (returned unacknowledged on exit) for a consumer that can read it.",
                "A connection lost while consuming (a broker restart, a closed connection) is re-established with back-off, "
                        + "one warning line on standard error per loss; messages not yet acknowledged come back from the broker, "
                        + "so each is printed at least once."})
final class ConsumeCommand implements Callable<Integer> {
    static final double DEFAULT_TIMEOUT = 5;

    @ParentCommand KombuCommand top;

    @Option(names = "--queue", required = true, paramLabel = "Q", description = "The queue to consume.")
    String queue = "";

    @Option(names = "--exchange", paramLabel = "EX", description = "Declare the queue bound to this exchange (\"\": the default exchange).")
    @Nullable String exchange;

    @Option(names = "--type", paramLabel = "T", description = "Type of --exchange: direct, topic, fanout or headers (default: direct).")
    @Nullable String type;

    @Option(names = "--routing-key", paramLabel = "RK", description = "Binding key for --exchange (default: the queue name).")
    @Nullable String routingKey;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N messages.")
    @Nullable Integer count;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "Stop when no message arrives for this long (default: ${DEFAULT-VALUE}; 0: stop when the queue is empty).")
    double timeout = DEFAULT_TIMEOUT;

    @Option(names = "--no-ack", description = "Consume without acknowledgements (the broker forgets a message once delivered; "
            + "with --count each is acknowledged on arrival, so only N are taken).")
    boolean noAck;

    @Option(names = "--prefetch", paramLabel = "N",
            description = "At most N unacknowledged messages at once (default: --count if given, else unlimited).")
    @Nullable Integer prefetch;

    @Option(names = "--reconnect-timeout", paramLabel = "SECONDS",
            description = "When the connection is lost, reconnect with back-off for at most this long before giving up "
                    + "with exit status 1 (default: the --timeout value; 0: do not reconnect). Time spent reconnecting does not "
                    + "count toward --timeout.")
    @Nullable Double reconnectTimeout;

    @Option(names = "--json", description = "Print each message as one JSON object: body, content_type, content_encoding, "
            + "headers, properties, delivery_info.")
    boolean json;

    private int received;
    private boolean ackOnArrival;
    private long lastAt;
    // Decides the idle timeout (--timeout) and the last look; one clock for all of them.
    private final Ticker ticker = Ticker.system();

    @Override
    public Integer call() {
        if (count != null && count < 1) {
            throw new UsageException("--count must be at least 1, got " + count);
        }
        if (!(timeout >= 0) || Double.isInfinite(timeout)) {
            throw new UsageException("--timeout must be a number of seconds >= 0, got " + timeout);
        }
        if (prefetch != null && prefetch < 0) {
            throw new UsageException("--prefetch must be >= 0, got " + prefetch);
        }
        if (reconnectTimeout != null && (!(reconnectTimeout >= 0) || Double.isInfinite(reconnectTimeout))) {
            throw new UsageException("--reconnect-timeout must be a number of seconds >= 0, got " + reconnectTimeout);
        }
        if (exchange == null && (type != null || routingKey != null)) {
            throw new UsageException("--type and --routing-key need --exchange");
        }
        Queue q = queueDefinition();
        Duration idle = Duration.ofNanos((long) (timeout * 1e9));
        try (Connection conn = top.open()) {
            // Killed (Ctrl-C, SIGTERM) while waiting: close the connection as Python Kombu does on
            // KeyboardInterrupt, so unacknowledged messages (undecodable ones held back, ones not yet
            // printed) go back to the queue now; Redis would otherwise keep them until visibility_timeout.
            Thread onKill = new Thread(() -> {
                killed = true;
                ConsumerLoop l = loop;
                if (l != null) {
                    l.stop();
                }
                try {
                    conn.close();
                } catch (RuntimeException e) {
                    // The JVM is stopping: nothing more to do.
                }
            }, "kombu4j-consume-shutdown");
            Runtime.getRuntime().addShutdownHook(onKill);
            try {
                return consume(conn, q, idle);
            } catch (RuntimeException e) {
                if (killed) {
                    // The connection was closed under us by the hook: not an error worth a line.
                    return 1;
                }
                throw e;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(onKill);
                } catch (IllegalStateException e) {
                    // Already shutting down: the hook is running.
                }
            }
        }
    }

    private int consume(Connection conn, Queue q, Duration idle) {
        // A broker ignores the prefetch limit of a no-ack consumer and hands it every ready message
        // (RabbitMQ pushes the whole queue), so --no-ack --count N would take them all and print N.
        // With --count, no-ack is therefore emulated: each message is acknowledged as soon as it
        // arrives, before it is printed; the broker forgets it just as early, and the prefetch
        // limit keeps the rest in the queue.
        ackOnArrival = noAck && count != null;
        // The first connect happens here, outside the loop: a broker unreachable at the start is an error at
        // once (exit 1), as are a refused login or a missing queue at any time; only a lost connection is retried.
        conn.connect();
        if (exchange == null) {
            requireQueue(conn, queue, "consume from");
        }
        long started = ticker.nanoTime();
        ConsumerLoop loop = ConsumerLoop.builder(conn, c -> List.of(subscribe(c, q)))
                .reconnect(reconnectPolicy())
                .drainTimeout(STEP)
                .onIteration(() -> afterStep(conn, q, idle))
                .onConnectionError(this::connectionLost)
                .build();
        this.loop = loop;
        try {
            loop.run();
        } catch (OperationalException e) {
            if (killed || !everLost) {
                throw e;
            }
            // Retrying stopped: the outage outlasted its bound.
            throw new CommandFailure("connection lost and not re-established within " + format(outageBound())
                    + " s (" + (reconnectTimeout != null ? "--reconnect-timeout" : "--timeout; --reconnect-timeout sets another bound")
                    + "): " + Main.oneLine(String.valueOf(e.getMessage())) + "; received " + received
                    + (received == 1 ? " message" : " messages") + " from queue '" + queue + "'");
        }
        if (killed) {
            return 1;
        }
        if (outputFailed) {
            throw new CommandFailure("cannot write to standard output; stopped consuming queue '" + queue + "'"
                    + (noAck ? "" : " and left the message it could not print there"));
        }
        double seconds = received == 0 ? 0 : (lastAt - started) / 1e9;
        if (count != null && received < count) {
            throw new CommandFailure("timed out: no message for " + format(timeout) + " s; received " + received + " of "
                    + count + " messages from queue '" + queue + "'");
        }
        top.err.println("consumed " + received + (received == 1 ? " message" : " messages") + " from queue '" + queue
                + "' in " + String.format(Locale.ROOT, "%.3f", seconds) + " s ("
                + (seconds > 0 ? String.format(Locale.ROOT, "%.1f", received / seconds) : "-") + " msgs/s)");
        return 0;
    }

    /**
     * Fails with one line when the queue is missing. Subscribing finds that out by itself on RabbitMQ and the SQL
     * transports, but a Redis BRPOP on a list that never existed just waits, so {@code consume --queue nosuch}
     * would wait out --timeout and exit 0; a passive declare asks every broker the same question first (on Redis a
     * queue exists once declared, bound — as Python Kombu's are — or holding messages).
     */
    static void requireQueue(Connection conn, String queue, String verb) {
        try {
            conn.defaultChannel().declareQueue(Queue.of(queue), true);
        } catch (NotFoundException e) {
            throw new CommandFailure("cannot " + verb + " queue '" + queue + "': not found");
        }
    }

    /** How long each drain step waits at most: bounds how late the idle timeout is noticed. */
    static final Duration STEP = Duration.ofMillis(100);

    /** Makes the consumer, on the first connect and again after each reconnect. */
    private Consumer subscribe(Connection conn, Queue q) {
        // Held-back messages belonged to the lost channel: the broker returns them, not us.
        heldBack.clear();
        Consumer.Builder b = Consumer.builder(conn).queues(q).autoDeclare(exchange != null).noAck(noAck && !ackOnArrival)
                .onRawMessage(this::handle);
        // A consumer that takes no more than it will print leaves the rest in the queue for others.
        b.prefetch(prefetch != null ? prefetch : count != null ? Math.max(1, count - received) : 0);
        Consumer consumer = b.build();
        active = consumer;
        // The idle clock starts once the consumer is subscribed: connecting (and reconnecting) is not waiting.
        lastAt = ticker.nanoTime();
        return consumer;
    }

    /** After each drain step: stop when --count is reached, output failed, or --timeout passed idle. */
    private void afterStep(Connection conn, Queue q, Duration idle) {
        ConsumerLoop l = loop;
        if (l == null) {
            return;
        }
        // Back only once a drain step went through: a server still starting (Redis answering LOADING) fails the
        // subscribe, and that is the same loss, not another.
        connected = true;
        boolean done = outputFailed || count != null && received >= count
                || ticker.nanoTime() - lastAt >= idle.toNanos() && !lastLook(conn, q);
        if (done) {
            returnHeldBack();
            l.stop();
        }
    }

    /** One warning line per loss; the failed attempts while the broker stays away are not repeated. */
    private void connectionLost(OperationalException e, Duration retryIn) {
        if (!connected) {
            return;
        }
        connected = false;
        everLost = true;
        active = null;
        top.err.println("kombu4j: warning: connection lost (" + Main.oneLine(String.valueOf(e.getMessage()))
                + "); reconnecting in " + String.format(Locale.ROOT, "%.1f", retryIn.toNanos() / 1e9) + " s");
        top.err.flush();
    }

    /**
     * How long one outage may last: --reconnect-timeout, else --timeout. A broker that is gone for good then ends the
     * command as an idle queue would, with one error line, instead of a command that never returns; a restart
     * shorter than that is ridden out.
     */
    private double outageBound() {
        return reconnectTimeout != null ? reconnectTimeout : timeout;
    }

    private RetryPolicy reconnectPolicy() {
        double bound = outageBound();
        if (bound == 0) {
            return RetryPolicy.NONE;
        }
        return ConsumerLoop.DEFAULT_RECONNECT.toBuilder().timeout(Duration.ofNanos((long) (bound * 1e9))).build();
    }

    private volatile @Nullable ConsumerLoop loop;
    /** Whether the connection works; false from a loss until a drain step succeeds again. */
    private boolean connected = true;
    /** Whether the connection was ever lost (and a reconnect tried). */
    private boolean everLost;
    private volatile @Nullable Consumer active;
    /** Set by the shutdown hook, which closes the connection while consume may still be using it. */
    private volatile boolean killed;
    /** Messages we could not decode or print, held unacknowledged until we stop and then put back. */
    private final List<Message> heldBack = new ArrayList<>();
    /** Standard output failed (closed, a reader gone): what we cannot print we must not acknowledge. */
    private boolean outputFailed;

    /**
     * Puts the held-back messages back at once rather than leaving them to the broker: RabbitMQ
     * would requeue them on close anyway, but Redis only after the visibility timeout.
     */
    private void returnHeldBack() {
        for (Message m : heldBack) {
            if (!m.isSettled()) {
                m.reject(true);
            }
        }
        heldBack.clear();
    }

    /** How long the last look waits for a message the broker says is ready (a Redis BRPOP, a redelivery). */
    static final Duration LAST_LOOK = Duration.ofSeconds(2);
    /** How long it waits for one already on its way when none is ready: a few round trips. */
    static final Duration IN_FLIGHT = Duration.ofMillis(200);

    /**
     * Called when the idle time is up: true if a message arrived after all. A message already on its
     * way (pushed by RabbitMQ, popped by a Redis BRPOP) is not here yet when the time is up, and with
     * {@code --timeout 0} it never would be: so the broker is asked how many messages are ready, and
     * they (or those in flight) are waited for briefly instead of giving up with the queue not empty.
     */
    private boolean lastLook(Connection conn, Queue q) {
        int before = received;
        conn.drainEvents(Duration.ZERO);
        if (received > before) {
            return true;
        }
        long ready;
        try {
            ready = conn.defaultChannel().declareQueue(q, true).messageCount();
        } catch (OperationalException e) {
            // The connection is gone: the loop reconnects, and the idle clock restarts then.
            throw e;
        } catch (KombuException e) {
            // Gone or never there (a Redis queue exists only while it holds messages): nothing is ready.
            ready = 0;
        }
        long deadline = ticker.nanoTime() + (ready > 0 ? LAST_LOOK : IN_FLIGHT).toNanos();
        for (long left; received == before && (left = deadline - ticker.nanoTime()) > 0;) {
            conn.drainEvents(Duration.ofNanos(left));
        }
        return received > before;
    }

    private Queue queueDefinition() {
        if (exchange == null || exchange.isEmpty()) {
            return Queue.of(queue);
        }
        ExchangeType t = type == null ? ExchangeType.DIRECT : ExchangeType.of(type);
        return Queue.of(queue, Exchange.of(exchange, t), routingKey != null ? routingKey : queue);
    }

    private void handle(Message message) {
        if (outputFailed || count != null && received >= count) {
            // Delivered after we had enough (prefetch or a batch): back to the queue for someone else.
            if (!message.isSettled()) {
                message.reject(true);
            }
            return;
        }
        if (ackOnArrival && !message.isSettled()) {
            message.ack();
        }
        Decoded decoded = Decoded.of(message);
        Object body = decoded.body();
        String decodeError = decoded.error();
        received++;
        lastAt = ticker.nanoTime();
        top.out.println(json ? jsonLine(message, body, decodeError) : textLine(message, body, decodeError));
        top.out.flush();
        if (top.out.checkError()) {
            // PrintStream swallows write errors: without this check every later message would be acknowledged unseen.
            outputFailed = true;
            received--;
            if (!message.isSettled()) {
                heldBack.add(message);
            }
            if (active != null) {
                active.cancel();
            }
            return;
        }
        if (decodeError != null) {
            top.err.println("kombu4j: warning: cannot decode message from queue '" + queue + "' (content type "
                    + message.contentType() + "): " + decodeError + "; left it in the queue");
            // Not acknowledged, and not rejected yet: requeued now, it would come straight back to us.
            if (!message.isSettled()) {
                heldBack.add(message);
            }
        } else if (!message.isSettled()) {
            message.ack();
        }
        if (count != null && received >= count && active != null) {
            active.cancel();
        }
    }

    /** A message's decoded body, or why it could not be decoded. */
    record Decoded(@Nullable Object body, @Nullable String error) {
        static Decoded of(Message message) {
            try {
                return new Decoded(message.decode(), null);
            } catch (DecodeException e) {
                return new Decoded(null, Main.oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
        }
    }

    static String jsonLine(Message message, @Nullable Object body, @Nullable String decodeError) {
        return Json.write(jsonFields(message, body, decodeError));
    }

    /** The fields of {@code consume --json}, in order, for commands that print messages the same way. */
    static Map<String, @Nullable Object> jsonFields(Message message, @Nullable Object body, @Nullable String decodeError) {
        Map<String, @Nullable Object> line = new LinkedHashMap<>();
        line.put("body", decodeError != null ? Base64.getEncoder().encodeToString(bestBytes(message)) : body);
        line.put("content_type", message.contentType());
        line.put("content_encoding", message.contentEncoding());
        line.put("headers", message.headers());
        line.put("properties", message.properties());
        DeliveryInfo info = message.deliveryInfo();
        Map<String, Object> delivery = new LinkedHashMap<>();
        delivery.put("exchange", info.exchange());
        delivery.put("routing_key", info.routingKey());
        line.put("delivery_info", delivery);
        if (decodeError != null) {
            line.put("decode_error", decodeError);
        }
        return line;
    }

    static String textLine(Message message, @Nullable Object body, @Nullable String decodeError) {
        DeliveryInfo info = message.deliveryInfo();
        StringBuilder sb = new StringBuilder();
        sb.append('[').append(info.queue()).append("] exchange=").append(info.exchange().isEmpty() ? "''" : info.exchange())
                .append(" routing_key=").append(info.routingKey())
                .append(" content_type=").append(message.contentType());
        if (message.priority() != 0) {
            sb.append(" priority=").append(message.priority());
        }
        if (!message.headers().isEmpty()) {
            sb.append(" headers=").append(Json.write(message.headers()));
        }
        sb.append(" body=").append(bodyText(message, body, decodeError));
        return sb.toString();
    }

    /** A body as the readable line shows it: text escaped to one line, JSON for decoded data, base64 for bytes. */
    static String bodyText(Message message, @Nullable Object body, @Nullable String decodeError) {
        if (decodeError != null) {
            return "base64:" + Base64.getEncoder().encodeToString(bestBytes(message)) + " decode_error=" + Json.write(decodeError);
        }
        if (body instanceof String) {
            return Main.oneLine(((String) body).replace("\n", "\\n").replace("\r", "\\r"));
        }
        if (body instanceof byte[]) {
            return "base64:" + Base64.getEncoder().encodeToString((byte[]) body);
        }
        return Json.write(body);
    }

    /** The decompressed body if it decompresses, else the bytes as they travelled. */
    private static byte[] bestBytes(Message message) {
        try {
            return message.body();
        } catch (RuntimeException e) {
            return message.rawBody();
        }
    }

    private static String format(double seconds) {
        return seconds == Math.rint(seconds) ? Long.toString((long) seconds) : Double.toString(seconds);
    }
}
