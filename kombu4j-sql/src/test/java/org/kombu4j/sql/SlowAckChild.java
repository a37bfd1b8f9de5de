package org.kombu4j.sql;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.kombu4j.Connection;
import org.kombu4j.Queue;

/**
 * A child JVM for {@link SqlConsumerKillFaultTest}: consumes a queue with a prefetch, takes
 * {@code ackDelayMillis} over each message and then acks it, printing {@code GOT n} when a message
 * reaches the handler and {@code ACK n} once {@code ack()} returned; runs until it is killed.
 *
 * <p>Arguments: URL, queue, prefetch, ackDelayMillis.
 */
public final class SlowAckChild {
    private SlowAckChild() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        Queue q = Queue.of(args[1]);
        int prefetch = Integer.parseInt(args[2]);
        long delay = Long.parseLong(args[3]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Connection c = Connection.open(url);
        c.consumer(q).prefetch(prefetch).onMessage((body, m) -> {
            int n = ((Number) body).intValue();
            out.println("GOT " + n);
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            m.ack();
            out.println("ACK " + n);
        }).consume();
        out.println("READY");
        long idleSince = System.nanoTime();
        while (true) {
            if (c.drainEvents(Duration.ofSeconds(1))) {
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince > 10_000_000_000L) {
                // Nothing for 10 s: show the parent (which reports this output on failure) where the threads are.
                for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                    out.println("THREAD " + e.getKey().getName() + " " + e.getKey().getState() + " "
                            + Arrays.toString(e.getValue()));
                }
                idleSince = System.nanoTime();
            }
        }
    }
}
