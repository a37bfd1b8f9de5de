package org.kombu4j.bench.jmh;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Exchange;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.transport.TransportChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One {@code memory://} round trip per operation: {@code Producer.publish} of a 1 KiB JSON dict to
 * a direct exchange, then {@code drainEvents} delivers it to a consumer that decodes it (and acks
 * it in {@code ack} mode). The whole user-visible path: serialize, route, store, deliver, decode.
 */
public class MemoryRoundTripBenchmark extends JmhDefaults {
    @Param({"ack", "noack"})
    public String mode = "ack";

    private Connection conn = Connection.open("memory://");
    private Producer producer = conn.producer();
    private PublishOptions options = PublishOptions.routingKey("-");
    private Consumer consumer = conn.consumer(Queue.of("bench.unused")).onMessage((b, m) -> { }).build();
    private Map<String, Object> body = Map.of();
    private String prefix = "bench.k4j.jmh";
    private long received;

    @Setup(Level.Trial)
    public void setUp() {
        prefix = "bench.k4j.jmh." + UUID.randomUUID().toString().substring(0, 8);
        conn = Connection.open("memory://");
        Exchange ex = Exchange.direct(prefix + ".ex");
        Queue q = Queue.of(prefix + ".q", ex, prefix + ".q");
        producer = conn.producer(ex);
        options = PublishOptions.routingKey(q.name());
        boolean noAck = mode.equals("noack");
        consumer = conn.consumer(q).accept("json").prefetch(100).noAck(noAck).onMessage((b, m) -> {
            received++;
            if (!noAck) {
                m.ack();
            }
        }).consume();
        body = oneKibBody();
    }

    @Benchmark
    public long publishAndConsume() {
        producer.publish(body, options);
        conn.drainEvents(Duration.ZERO);
        return received;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        consumer.close();
        try (TransportChannel ch = conn.channel()) {
            ch.deleteQueue(prefix + ".q");
            ch.deleteExchange(prefix + ".ex");
        }
        conn.close();
    }
}
