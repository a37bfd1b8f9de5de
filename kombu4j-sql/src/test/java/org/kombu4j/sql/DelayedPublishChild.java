package org.kombu4j.sql;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.kombu4j.Connection;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;

/**
 * A child JVM for {@link SqlDelayedDeliveryFaultTest}: publishes {@code n} messages (the numbers 0..n-1), all due
 * at one instant {@code afterMillis} after it connected, prints {@code ETA <epoch ms>} before the first and
 * {@code DONE} after the last, and exits. A publisher in another process, so consumers learn of the delayed rows
 * the way they would from any other program (NOTIFY, the WAL probe, polling), not through this JVM's wake-ups.
 *
 * <p>Arguments: URL, queue, n, afterMillis.
 */
public final class DelayedPublishChild {
    private DelayedPublishChild() {
    }

    public static void main(String[] args) {
        String url = args[0];
        String queue = args[1];
        int n = Integer.parseInt(args[2]);
        long after = Long.parseLong(args[3]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Connection c = Connection.open(url)) {
            c.ensureConnection();
            Producer p = c.producer();
            long eta = System.currentTimeMillis() + after;
            out.println("ETA " + eta);
            PublishOptions options = PublishOptions.builder().routingKey(queue).eta(Instant.ofEpochMilli(eta)).build();
            for (int i = 0; i < n; i++) {
                p.publish(i, options);
            }
        }
        out.println("DONE");
    }
}
