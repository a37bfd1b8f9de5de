package org.kombu4j.examples.worker;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.Queue;
import org.kombu4j.Worker;

/**
 * Counts the words of texts sent as {@code {"id": "...", "text": "..."}} to queue {@code examples.texts}, four
 * at a time, acknowledging each when counted. Run: {@code WordCountWorker [URL]}; Ctrl-C or SIGTERM stops it
 * gracefully (what is in hand is finished, what was taken but not started goes back to the queue).
 */
public final class WordCountWorker {
    public static final Exchange EXCHANGE = Exchange.direct("examples.texts");
    public static final Queue QUEUE = Queue.of("examples.texts", EXCHANGE, "text");

    /** Counts by text id: where this example keeps its results (a real service would write them somewhere). */
    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    /** A worker on {@code connection}, not yet started. */
    public Worker build(Connection connection, Duration shutdownGrace) {
        return Worker.builder(connection).queues(QUEUE).accept("json").concurrency(4)
                .onMessage((body, message) -> {
                    Map<?, ?> job = (Map<?, ?>) body;
                    String text = String.valueOf(job.get("text")).strip();
                    counts.put(String.valueOf(job.get("id")), text.isEmpty() ? 0 : text.split("\\s+").length);
                    message.ack();
                })
                .shutdownHook(shutdownGrace)
                .build();
    }

    /** The counts so far, by text id. */
    public Map<String, Integer> counts() {
        return counts;
    }

    public static void main(String[] args) {
        String url = args.length > 0 ? args[0] : System.getenv().getOrDefault("KOMBU4J_URL", "redis://127.0.0.1:6379/0");
        Connection connection = Connection.open(url);
        new WordCountWorker().build(connection, Duration.ofSeconds(20)).run(); // until SIGTERM (the shutdown hook)
        connection.close();
    }
}
