import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.kombu4j.Connection;
import org.kombu4j.Consumer;
import org.kombu4j.Exchange;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.amqp.AmqpTransport;

/**
 * One round of the {@code delayed} bench (1,000 1 KiB messages, eta T = start + 4 s, kombu4j's pipelined publisher
 * with {@code confirm_publish=async}), timed stage by stage per message:
 *
 * <ul>
 *   <li>{@code route}: when kombu4j's {@code publish} was called (the rest is computed then);</li>
 *   <li>{@code enq}: when the broker had it in its entry level {@code celery_delayed_1}, from that queue's depth
 *       polled every ~1 ms on a channel of its own (FIFO: the k-th message is in when the depth reaches k);</li>
 *   <li>{@code obs}: when a raw amqp-client consumer (autoAck, no prefetch limit) got the copy a second queue
 *       bound like the destination receives: when the broker let it out of the last hop;</li>
 *   <li>{@code handler}: when kombu4j's {@code Consumer} on the destination ran its handler (prefetch PREFETCH,
 *       {@code msg.ack()} each, as the bench).</li>
 * </ul>
 *
 * MODE {@code obs}: all of the above; {@code nocons}: no consumer at all, the destination's depth polled instead of
 * {@code obs}; {@code k4j}: only the kombu4j consumer (as the bench). Prints percentiles of each stage (ms after T,
 * or the lag of one stage behind another) and of enq − route by publish order.
 *
 * <pre>flock /tmp/kombu4j-bench.lock java -cp kombu4j-cli/target/kombu4j.jar \
 *     kombu4j-bench/scripts/amqp/DelayStages.java MODE [PREFETCH [ROUNDS]]</pre>
 */
public class DelayStages {
    static final String URL = "amqp://guest:guest@127.0.0.1:5672//";
    static final String X = "amqpdelay.stages.x";
    static final String DEST = "amqpdelay.stages.dest";
    static final String OBS = "amqpdelay.stages.obs";
    static final int N = 1000;

    public static void main(String[] a) throws Exception {
        String mode = a[0];
        int prefetch = a.length > 1 ? Integer.parseInt(a[1]) : 100;
        int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 1;
        ConnectionFactory f = new ConnectionFactory();
        f.setUri("amqp://guest:guest@127.0.0.1:5672");
        try (com.rabbitmq.client.Connection raw = f.newConnection();
                com.rabbitmq.client.Connection poll = f.newConnection()) {
            Channel c = raw.createChannel();
            c.exchangeDeclare(X, "direct", true);
            c.queueDeclare(DEST, true, false, false, null);
            c.queueBind(DEST, X, DEST);
            if (mode.equals("obs")) {
                c.queueDeclare(OBS, true, false, false, null);
                c.queueBind(OBS, X, DEST);
            }
            try {
                for (int r = 0; r <= rounds; r++) {
                    System.out.println("== round " + r + (r == 0 ? " (warm-up)" : "") + ", mode " + mode
                            + ", prefetch " + prefetch + ", load " + Files.load());
                    round(mode, prefetch, raw, poll);
                }
            } finally {
                try (Connection k = Connection.open(URL)) {
                    ((AmqpTransport) k.transport()).deleteDelayQueues(X, DEST);
                }
                c.queueDelete(DEST);
                c.queueDelete(OBS);
                c.exchangeDelete(X);
            }
        }
    }

    static void round(String mode, int prefetch, com.rabbitmq.client.Connection raw,
            com.rabbitmq.client.Connection poll) throws Exception {
        long[] route = new long[N];
        long[] enq = new long[N];
        long[] obs = new long[N];
        long[] handler = new long[N];
        Arrays.fill(obs, -1);
        Arrays.fill(handler, -1);
        AtomicInteger obsGot = new AtomicInteger();
        AtomicInteger handled = new AtomicInteger();
        Channel oc = raw.createChannel();
        if (mode.equals("obs")) {
            oc.basicConsume(OBS, true, new DefaultConsumer(oc) {
                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                    obs[seq(body)] = System.currentTimeMillis();
                    obsGot.incrementAndGet();
                }
            });
        }
        String pad = "x".repeat(1000);
        try (Connection cc = Connection.open(URL); Connection pc = Connection.open(URL + "?confirm_publish=async")) {
            Producer producer = Producer.builder(pc).exchange(Exchange.direct(X)).build();
            Consumer consumer = null;
            if (!mode.equals("nocons")) {
                consumer = cc.consumer(Queue.of(DEST)).accept("json").prefetch(prefetch).onMessage((body, msg) -> {
                    handler[seq(((String) body).getBytes(StandardCharsets.UTF_8))] = System.currentTimeMillis();
                    handled.incrementAndGet();
                    msg.ack();
                }).consume();
            }
            Channel pch = poll.createChannel();
            int base = pch.queueDeclarePassive("celery_delayed_1").getMessageCount();
            Thread.sleep(500);
            Instant dueAt = Instant.now().plusMillis(4000);
            long due = dueAt.toEpochMilli();
            PublishOptions opts = PublishOptions.builder().routingKey(DEST).serializer("json").eta(dueAt).build();
            // Poller: the entry level's depth → when the k-th message was in.
            List<long[]> samples = new ArrayList<>();
            Thread poller = new Thread(() -> {
                try {
                    int seen = 0;
                    while (seen < N && System.currentTimeMillis() < due - 1500) {
                        int d = pch.queueDeclarePassive("celery_delayed_1").getMessageCount() - base;
                        long now = System.currentTimeMillis();
                        for (; seen < Math.min(d, N); seen++) {
                            enq[seen] = now;
                        }
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
            poller.start();
            for (int i = 0; i < N; i++) {
                route[i] = System.currentTimeMillis();
                producer.publish(i + "|" + pad, opts);
            }
            long called = System.currentTimeMillis();
            ((AmqpTransport) pc.transport()).flush();
            long confirmed = System.currentTimeMillis();
            poller.join();
            // Destination depth without a consumer.
            long[] depthAt = new long[4]; // first, half, 99 %, all
            Arrays.fill(depthAt, -1);
            long end = due + 20_000;
            while (System.currentTimeMillis() < end) {
                if (mode.equals("nocons")) {
                    int d = pch.queueDeclarePassive(DEST).getMessageCount();
                    long now = System.currentTimeMillis() - due;
                    if (depthAt[0] < 0 && d > 0) depthAt[0] = now;
                    if (depthAt[1] < 0 && d >= N / 2) depthAt[1] = now;
                    if (depthAt[2] < 0 && d >= N * 99 / 100) depthAt[2] = now;
                    if (d >= N) {
                        depthAt[3] = now;
                        break;
                    }
                    Thread.sleep(1);
                } else {
                    cc.drainEvents(java.time.Duration.ofMillis(50));
                    if (handled.get() >= N && (!mode.equals("obs") || obsGot.get() >= N)) {
                        break;
                    }
                }
            }
            if (consumer != null) {
                consumer.close();
            }
            oc.close();
            pch.queuePurge(DEST);
            System.out.printf("publish calls %d ms, confirmed %d ms after the first call; T − last confirm %d ms%n",
                    called - route[0], confirmed - route[0], due - confirmed);
            // Messages the poller did not see enter (publishing went on past its cut-off) count as unknown, at the top.
            long[] enqLag = new long[N];
            for (int i = 0; i < N; i++) {
                enqLag[i] = enq[i] == 0 ? Long.MAX_VALUE / 2 : enq[i] - route[i];
            }
            System.out.println("route offset (ms after first)  " + byOrder(route, route[0]));
            System.out.println("enq − route by publish order   " + byOrderDiff(enq, route));
            System.out.println("enq − route                    " + pct(enqLag));
            if (mode.equals("nocons")) {
                System.out.printf("destination depth: first %d, half %d, 99%% %d, all %d ms after T%n", depthAt[0],
                        depthAt[1], depthAt[2], depthAt[3]);
            }
            if (mode.equals("obs")) {
                System.out.println("obs − T                        " + pct(minus(obs, due)));
                System.out.println("obs − T by publish order       " + byOrder(obs, due));
            }
            if (!mode.equals("nocons")) {
                System.out.println("handler − T                    " + pct(minus(handler, due)));
                System.out.println("handler − T by publish order   " + byOrder(handler, due));
            }
            if (mode.equals("obs")) {
                long[] d = new long[N];
                for (int i = 0; i < N; i++) {
                    d[i] = handler[i] - obs[i];
                }
                System.out.println("handler − obs                  " + pct(d));
            }
        }
    }

    static int seq(byte[] body) {
        int i = body[0] == '"' ? 1 : 0;
        int v = 0;
        while (body[i] != '|') {
            v = v * 10 + body[i++] - '0';
        }
        return v;
    }

    static long[] minus(long[] t, long base) {
        long[] d = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            d[i] = t[i] < 0 ? Long.MAX_VALUE / 2 : t[i] - base;
        }
        return d;
    }

    static String pct(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return String.format("min %d p10 %d p50 %d p90 %d p99 %d max %d", s[0], s[N / 10], s[N / 2], s[N * 9 / 10],
                s[N * 99 / 100], s[N - 1]);
    }

    /** The value at publish positions 0, 100, ..., 900, 999. */
    static String byOrder(long[] t, long base) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < N; i += 100) {
            sb.append(t[i] - base).append(' ');
        }
        return sb.append(t[N - 1] - base).toString();
    }

    static String byOrderDiff(long[] a, long[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < N; i += 100) {
            sb.append(a[i] - b[i]).append(' ');
        }
        return sb.append(a[N - 1] - b[N - 1]).toString();
    }

    static final class Files {
        static String load() {
            try {
                return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
            } catch (java.io.IOException e) {
                return "?";
            }
        }
    }
}
