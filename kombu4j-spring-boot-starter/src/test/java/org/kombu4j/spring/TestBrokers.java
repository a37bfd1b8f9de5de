package org.kombu4j.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Exchange;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.brokers.LocalRedis;
import org.kombu4j.transport.TransportChannel;

/** The real brokers the starter's tests run against, and what they share: unique names, publishing, cleaning up. */
final class TestBrokers {
    /** The shared Redis, in one of the databases (13-15) the tests may use. */
    static final String REDIS_URL = "redis://127.0.0.1:6379/14";

    private TestBrokers() {
    }

    /** The URL of broker {@code kind} ({@code redis}, {@code amqp}, or {@code sqlite}: a new file), after skipping (failing with CI=true) if it is down. */
    static String url(String kind) {
        return switch (kind) {
            case "redis" -> {
                LocalRedis.require();
                yield REDIS_URL;
            }
            case "amqp" -> LocalRabbit.url();
            case "sqlite" -> {
                try {
                    yield "sqlite:///" + Files.createTempDirectory("k4j-spring").resolve("broker.db");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            default -> throw new IllegalArgumentException("unknown broker " + kind);
        };
    }

    /** A queue or exchange name no other test (or run) uses. */
    static String unique(String what) {
        return "k4j.spring." + what + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Publishes each body to {@code queue} (declared first) through the default exchange. */
    static void publish(String url, Queue queue, List<?> bodies) {
        try (Connection c = Connection.open(url)) {
            for (Object body : bodies) {
                c.producer().publish(body, PublishOptions.builder().routingKey(queue.name()).declare(queue).build());
            }
        }
    }

    /** Takes every message left in {@code queue} (acknowledging it), waiting up to {@code quiet} for each next one. */
    static List<Object> takeAll(String url, Queue queue, Duration quiet) {
        List<Object> out = new ArrayList<>();
        try (Connection c = Connection.open(url)) {
            Consumer consumer = c.consumer(queue).prefetch(100).onMessage((body, m) -> {
                out.add(body);
                m.ack();
            }).consume();
            try {
                while (c.drainEvents(quiet)) {
                    // each round took at least one
                }
            } finally {
                consumer.close();
            }
        }
        return out;
    }

    /** Deletes the queues and exchanges (empty names skipped). */
    static void delete(String url, List<String> queues, List<String> exchanges) {
        try (Connection c = Connection.open(url)) {
            delete(c, queues, exchanges);
        }
    }

    /** Deletes the queues and exchanges (empty names skipped) through {@code c}. */
    static void delete(Connection c, List<String> queues, List<String> exchanges) {
        try (TransportChannel ch = c.channel()) {
            for (String q : queues) {
                ch.deleteQueue(q);
            }
            for (String e : exchanges) {
                if (!e.isEmpty() && !e.equals(Exchange.DEFAULT.name())) {
                    ch.deleteExchange(e);
                }
            }
        }
    }
}
