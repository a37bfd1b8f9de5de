package org.kombu4j.redis;

import java.time.Duration;
import org.kombu4j.Connection;
import org.kombu4j.Queue;

/**
 * A child JVM for the reliability tests, killed with SIGKILL by its parent. Arguments: url, queue,
 * handler millis (-1 = never ack, hold everything). Prints {@code READY} once consuming, then
 * {@code GOT <body>} per delivery (before handling it) and {@code ACKED <body>} after acking it.
 */
public final class ReliabilityChild {
    private ReliabilityChild() {
    }

    public static void main(String[] args) throws Exception {
        long handlerMillis = Long.parseLong(args[2]);
        Connection c = Connection.open(args[0]);
        c.consumer(Queue.of(args[1])).onMessage((body, m) -> {
            System.out.println("GOT " + body);
            System.out.flush();
            if (handlerMillis >= 0) {
                try {
                    Thread.sleep(handlerMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                m.ack();
                System.out.println("ACKED " + body);
                System.out.flush();
            }
        }).consume();
        c.drainEvents(Duration.ofMillis(50));
        System.out.println("READY");
        System.out.flush();
        while (true) {
            c.drainEvents(Duration.ofMillis(200));
        }
    }
}
