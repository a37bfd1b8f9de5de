package org.kombu4j.bench;

import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.Queue;
import org.kombu4j.transport.QueueInfo;
import org.kombu4j.transport.TransportChannel;

/**
 * The exchange and queues of one run, all named {@code bench.k4j.<random>.*} so that they cannot
 * be anybody else's. {@link #declare} refuses a queue that already holds messages (then it is not
 * ours); {@link #delete} removes everything, and is safe to call twice or after a failure.
 */
final class BenchEntities {
    /** Every name the harness creates starts with this. */
    static final String PREFIX = "bench.k4j.";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String prefix;
    private final Exchange exchange;
    private final List<Queue> queues;

    private BenchEntities(String prefix, int queueCount) {
        this.prefix = prefix;
        this.exchange = Exchange.direct(prefix + ".ex");
        List<Queue> qs = new ArrayList<>(queueCount);
        for (int i = 0; i < queueCount; i++) {
            String name = prefix + ".q." + i;
            qs.add(Queue.of(name, exchange, name));
        }
        this.queues = Collections.unmodifiableList(qs);
    }

    /** A fresh set of names: one direct exchange and {@code queueCount} queues bound with their own names. */
    static BenchEntities create(int queueCount) {
        byte[] id = new byte[5];
        RANDOM.nextBytes(id);
        return new BenchEntities(PREFIX + HexFormat.of().formatHex(id), queueCount);
    }

    String prefix() {
        return prefix;
    }

    Exchange exchange() {
        return exchange;
    }

    List<Queue> queues() {
        return queues;
    }

    Queue queue(int i) {
        return queues.get(i);
    }

    /**
     * Declares the exchange, the queues and their bindings.
     *
     * @throws RefusedException if a queue already holds messages: it was not created by this run
     */
    void declare(Connection conn) {
        try (TransportChannel ch = conn.channel()) {
            ch.declareExchange(exchange, false);
            for (Queue q : queues) {
                QueueInfo info = ch.declareQueue(q, false);
                if (info.messageCount() > 0) {
                    throw new RefusedException("queue '" + q.name() + "' already holds " + info.messageCount()
                            + " messages: it was not created by this run; refusing to benchmark against it");
                }
                for (Binding b : q.bindings()) {
                    ch.bind(q.name(), b);
                }
            }
        }
    }

    /** Ready messages in queue {@code i}, from a passive declare. */
    long messageCount(Connection conn, int i) {
        try (TransportChannel ch = conn.channel()) {
            return ch.declareQueue(queues.get(i), true).messageCount();
        }
    }

    /**
     * Deletes the exchange, then the queues, through a fresh connection; reports problems on {@code err}. The
     * exchange first: on Redis a queue's deletion looks for its binding rows in every binding set, and with the
     * exchange's 10,000 bindings still there that took an SSCAN of the whole set per queue, 1.5–3 minutes of
     * Redis time per 10,000-queue latency round on this machine.
     */
    void delete(String url, PrintStream err) {
        try (Connection conn = Connection.open(url); TransportChannel ch = conn.channel()) {
            try {
                ch.deleteExchange(exchange.name());
            } catch (RuntimeException e) {
                err.println("[bench] cleanup: cannot delete exchange " + exchange.name() + ": " + e.getMessage());
            }
            for (Queue q : queues) {
                try {
                    ch.deleteQueue(q.name());
                } catch (RuntimeException e) {
                    err.println("[bench] cleanup: cannot delete queue " + q.name() + ": " + e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            err.println("[bench] cleanup of " + prefix + ".* failed: " + e.getMessage());
        }
    }

    /** A run that would touch entities it did not create. */
    static final class RefusedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }
}
