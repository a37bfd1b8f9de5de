package org.kombu4j.examples.rpc;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Message;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/**
 * Answers {@code {"op": "add", "x": 1, "y": 2}} with {@code {"result": 3}} on the request's {@code reply_to}
 * queue. Run: {@code RpcServer [URL]}; it serves until stopped.
 */
public final class RpcServer implements Runnable, AutoCloseable {
    /** The queue requests are sent to. */
    public static final String QUEUE = "examples.rpc.requests";

    private final Connection connection;
    private final AtomicBoolean running = new AtomicBoolean(true);

    public RpcServer(Connection connection) {
        this.connection = connection;
    }

    @Override
    public void run() {
        Producer replies = connection.producer();
        try (Consumer consumer = connection.consumer(Queue.of(QUEUE)).accept("json").prefetch(16)
                .onMessage((body, message) -> answer(replies, body, message))
                .consume()) {
            while (running.get()) {
                connection.drainEvents(Duration.ofMillis(200));
            }
        }
    }

    private static void answer(Producer replies, Object body, Message request) {
        Map<String, Object> reply;
        if (body instanceof Map<?, ?> m && "add".equals(m.get("op"))
                && m.get("x") instanceof Number x && m.get("y") instanceof Number y) {
            reply = Map.of("result", x.longValue() + y.longValue());
        } else {
            reply = Map.of("error", "expected {\"op\": \"add\", \"x\": number, \"y\": number}, got " + body);
        }
        String replyTo = request.replyTo();
        String id = request.correlationId();
        if (replyTo != null && id != null) {
            // The default exchange routes to the queue named by the routing key: the caller's reply queue.
            replies.publish(reply, PublishOptions.builder().routingKey(replyTo).correlationId(id).build());
        }
        request.ack(); // after the reply is out: a server that dies in between answers again, never not at all
    }

    /** Ends {@link #run()} within a drain interval. */
    @Override
    public void close() {
        running.set(false);
    }

    public static void main(String[] args) {
        try (Connection connection = Connection.open(args.length > 0 ? args[0] : System.getenv().getOrDefault("KOMBU4J_URL", "memory://"))) {
            new RpcServer(connection).run();
        }
    }
}
