package org.kombu4j.examples.rpc;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/**
 * Calls {@link RpcServer}: each call is published with a fresh {@code correlation_id} and this client's reply
 * queue in {@code reply_to}; replies are matched back to their calls by that id. Not thread-safe: one thread
 * calls and drains (the connection's event loop runs in {@link #await}). Run: {@code RpcClient [URL]}.
 */
public final class RpcClient implements AutoCloseable {
    private final Connection connection;
    private final Producer producer;
    private final Queue replies;
    private final Consumer consumer;
    private final Map<String, CompletableFuture<Object>> pending = new ConcurrentHashMap<>();

    public RpcClient(Connection connection) {
        this.connection = connection;
        this.producer = connection.producer();
        // One reply queue per client, gone when the client goes (auto-delete where the broker has it).
        this.replies = Queue.named("examples.rpc.reply." + UUID.randomUUID()).autoDelete(true).build();
        this.consumer = connection.consumer(replies).accept("json")
                .onMessage((body, message) -> {
                    CompletableFuture<Object> call = pending.remove(String.valueOf(message.correlationId()));
                    if (call != null) {
                        call.complete(body);
                    }
                    message.ack();
                })
                .consume();
    }

    /** Sends {@code x + y} to the server; the future completes while {@link #await} drains. */
    public CompletableFuture<Object> add(long x, long y) {
        String id = UUID.randomUUID().toString();
        CompletableFuture<Object> call = new CompletableFuture<>();
        pending.put(id, call);
        producer.publish(Map.of("op", "add", "x", x, "y", y), PublishOptions.builder()
                .routingKey(RpcServer.QUEUE).declare(Queue.of(RpcServer.QUEUE))
                .replyTo(replies.name()).correlationId(id).build());
        return call;
    }

    /** Drains the connection until {@code call} completes; its value, or an exception after {@code timeout}. */
    public Object await(CompletableFuture<Object> call, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (!call.isDone() && System.nanoTime() < end) {
            connection.drainEvents(Duration.ofMillis(50));
        }
        return call.get(0, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        consumer.close();
        connection.channel().deleteQueue(replies.name());
    }

    public static void main(String[] args) throws Exception {
        try (Connection connection = Connection.open(args.length > 0 ? args[0] : System.getenv().getOrDefault("KOMBU4J_URL", "memory://"));
                RpcClient client = new RpcClient(connection)) {
            for (int i = 1; i <= 3; i++) {
                System.out.println(i + " + " + (10 * i) + " = " + client.await(client.add(i, 10L * i), Duration.ofSeconds(10)));
            }
        }
    }
}
