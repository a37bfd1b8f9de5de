package org.kombu4j.examples.spring;

import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.kombu4j.spring.KombuListener;
import org.kombu4j.spring.KombuTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;

/**
 * A Spring Boot service that takes greetings from a queue: {@code kombu4j.url} (application.properties or
 * {@code KOMBU4J_URL}) names the broker; the listener gets each message as a {@link Greeting} record, and the
 * message is acknowledged when the method returns. Anyone may send to it — {@link Greeter} from Java, or Python
 * Kombu publishing {@code {"name": ..., "at": ...}} to exchange {@code examples.greetings} with key {@code hello}.
 */
@SpringBootApplication
public class GreetingsApplication {
    /** The exchange and queue the service listens on. */
    public static final String EXCHANGE = "examples.greetings";
    public static final String QUEUE = "examples.greetings";

    /** A greeting as it travels: a JSON object with a name and a time. */
    public record Greeting(String name, Instant at) {}

    public static void main(String[] args) {
        SpringApplication.run(GreetingsApplication.class, args);
    }

    /** Receives greetings, two at a time. */
    @Component
    public static class GreetingListener {
        private static final Logger log = LoggerFactory.getLogger(GreetingListener.class);
        /** What arrived, for whoever wants to look (the test does). */
        public final BlockingQueue<Greeting> received = new LinkedBlockingQueue<>();

        @KombuListener(queue = QUEUE, exchange = EXCHANGE, routingKey = "hello", concurrency = 2)
        public void onGreeting(Greeting greeting) {
            log.info("hello, {} (sent at {})", greeting.name(), greeting.at());
            received.add(greeting);
        }
    }

    /** Sends greetings through the auto-configured {@link KombuTemplate}. */
    @Component
    public static class Greeter {
        private final KombuTemplate template;

        public Greeter(KombuTemplate template) {
            this.template = template;
        }

        public void greet(String name) {
            template.send(EXCHANGE, "hello", new Greeting(name, Instant.now()));
        }
    }
}
