package org.kombu4j.redis;

import java.time.Duration;
import org.kombu4j.Connection;
import org.kombu4j.Queue;

/** A child JVM for {@link RedisFaultTest}: takes messages, never acks, says how many it holds, waits to be killed. */
public final class HoldingChild {
    private HoldingChild() {
    }

    public static void main(String[] args) throws Exception {
        int want = Integer.parseInt(args[2]);
        int[] held = {0};
        Connection c = Connection.open(args[0]);
        c.consumer(Queue.of(args[1])).onMessage((body, m) -> held[0]++).consume();
        while (held[0] < want) {
            c.drainEvents(Duration.ofMillis(100));
        }
        System.out.println("HELD " + held[0]);
        System.out.flush();
        Thread.sleep(60_000);
    }
}
