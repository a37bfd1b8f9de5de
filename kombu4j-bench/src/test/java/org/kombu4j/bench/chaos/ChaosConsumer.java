package org.kombu4j.bench.chaos;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.kombu4j.Connection;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.Queue;
import org.kombu4j.RetryPolicy;

/**
 * A consumer child process of the chaos suite: {@code ChaosConsumer URL EXCHANGE QUEUE PREFETCH WORK_MS}
 * (each message takes 0 to WORK_MS ms of work). It consumes
 * through the library's reconnecting {@link ConsumerLoop} and tells the harness on standard output, one line
 * each: {@code R <id>} when a message arrives (written and flushed before the ack, so that a SIGKILL between the
 * two shows as a duplicate, never as a loss), {@code E <why>} when the loop lost its connection, {@code X <why>}
 * when the loop ended with an error (then it exits 3).
 */
public final class ChaosConsumer {
    private ChaosConsumer() {
    }

    public static void main(String[] args) throws IOException {
        String url = args[0];
        Queue queue = ChaosRun.queue(args[1], args[2]);
        int prefetch = Integer.parseInt(args[3]);
        int workMillis = Integer.parseInt(args[4]);
        java.util.Random random = new java.util.Random();
        Writer out = new BufferedWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                StandardCharsets.US_ASCII));
        Connection conn = Connection.open(url);
        ConsumerLoop loop = ConsumerLoop.builder(conn, c -> List.of(c.consumer(queue).accept("json")
                .prefetch(prefetch).onMessage((body, message) -> {
                    Object id = body instanceof Map<?, ?> m ? m.get("id") : null;
                    tell(out, "R " + (id instanceof Number n ? n.intValue() : -1));
                    // The work: a kill lands in the middle of it as often as not.
                    if (workMillis > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(
                                java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(random.nextInt(workMillis + 1)));
                    }
                    message.ack();
                }).build()))
                .reconnect(RetryPolicy.builder().maxRetries(-1).intervalStart(Duration.ofMillis(100))
                        .intervalStep(Duration.ofMillis(200)).intervalMax(Duration.ofSeconds(1)).jitter(0.2).build())
                .drainTimeout(Duration.ofMillis(250))
                .onConnectionError((e, retryIn) -> tell(out, "E " + oneLine(e.getMessage())))
                .build();
        try {
            loop.run();
        } catch (RuntimeException | Error e) {
            tell(out, "X " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage()));
            e.printStackTrace();
            System.exit(3);
        }
    }

    private static synchronized void tell(Writer out, String line) {
        try {
            out.write(line);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("the harness went away", e);
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }
}
