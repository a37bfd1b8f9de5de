import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Isolates the last step of kombu4j's RabbitMQ delayed delivery, with the raw amqp-client: 1,000 persistent 1 KiB
 * messages all due at T wait in last-hop queues {@code amqp_exp_hop_<B>_<shard>} (x-message-ttl B = the rest until T
 * rounded up to BUCKET ms, as {@code DelayedDelivery} does), each spread over SHARDS queues, and dead-letter into the
 * durable queue {@code amqp_exp_dest}. With PREFETCH &gt; 0 a consumer (basicQos PREFETCH, an ack every ACK_EVERY
 * messages, multiple) prints the lateness (receipt − T) percentiles; with PREFETCH 0 there is no consumer and it
 * prints when the queue held the first, half, 99 % and all of them. CONSUMER {@code kombu4j} consumes with a kombu4j
 * {@code Consumer} instead (prefetch PREFETCH, {@code msg.ack()} each, driven by {@code drainEvents}) and needs the
 * bodies to be JSON (they are: a 1 KiB JSON string). BURSTS bursts run one after the other in this JVM, so that the
 * later ones show a warm consumer. Deletes its queues at the end.
 *
 * <pre>java -cp kombu4j-cli/target/kombu4j.jar kombu4j-bench/scripts/amqp/LastHopBurst.java SHARDS PREFETCH ACK_EVERY \
 *     [BUCKET [raw|kombu4j [BURSTS]]]</pre>
 */
public class LastHopBurst {
    public static void main(String[] a) throws Exception {
        int shards = Integer.parseInt(a[0]);
        int prefetch = Integer.parseInt(a[1]);
        int ackEvery = Integer.parseInt(a[2]);
        int bucket = a.length > 3 ? Integer.parseInt(a[3]) : 50;
        boolean kombu4j = a.length > 4 && a[4].equals("kombu4j");
        int bursts = a.length > 5 ? Integer.parseInt(a[5]) : 1;
        int n = 1000;
        long lead = 900; // T − the publishing's start, ms
        ConnectionFactory f = new ConnectionFactory();
        f.setUri("amqp://guest:guest@127.0.0.1:5672");
        try (Connection pc = f.newConnection(); Connection cc = f.newConnection()) {
            Channel p = pc.createChannel();
            try {
                for (int r = 1; r <= bursts; r++) {
                    System.out.print((kombu4j ? "kombu4j" : "raw") + " consumer, burst " + r + ": ");
                    run(p, cc, n, lead, shards, prefetch, ackEvery, bucket, kombu4j);
                }
            } finally {
                for (int b = bucket; b <= 1000; b += bucket) {
                    for (int s = 0; s < shards; s++) {
                        p.queueDelete("amqp_exp_hop_" + b + "_" + s);
                    }
                }
                p.queueDelete("amqp_exp_dest");
            }
        }
    }

    static void run(Channel p, Connection cc, int n, long lead, int shards, int prefetch, int ackEvery, int bucket,
            boolean kombu4j) throws Exception {
        p.queueDeclare("amqp_exp_dest", true, false, false, null);
        p.queuePurge("amqp_exp_dest");
        for (int b = bucket; b <= 1000; b += bucket) {
            for (int s = 0; s < shards; s++) {
                p.queueDeclare("amqp_exp_hop_" + b + "_" + s, true, false, false, Map.of("x-message-ttl", b,
                        "x-dead-letter-exchange", "", "x-dead-letter-routing-key", "amqp_exp_dest"));
            }
        }
        long[] late = new long[n];
        long[] due = new long[1];
        AtomicInteger got = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        Channel c = cc.createChannel();
        org.kombu4j.Connection kc = null;
        org.kombu4j.Consumer kconsumer = null;
        if (kombu4j && prefetch > 0) {
            kc = org.kombu4j.Connection.open("amqp://guest:guest@127.0.0.1:5672//");
            kconsumer = kc.consumer(org.kombu4j.Queue.of("amqp_exp_dest")).accept("json").prefetch(prefetch)
                    .onMessage((b, msg) -> {
                        int i = got.getAndIncrement();
                        if (i < n) {
                            late[i] = System.currentTimeMillis() - due[0];
                        }
                        msg.ack();
                        if (i + 1 == n) {
                            done.countDown();
                        }
                    }).consume();
        } else if (prefetch > 0) {
            c.basicQos(prefetch);
            c.basicConsume("amqp_exp_dest", false, new DefaultConsumer(c) {
                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] b)
                        throws IOException {
                    int i = got.getAndIncrement();
                    if (i < n) {
                        late[i] = System.currentTimeMillis() - due[0];
                    }
                    if ((i + 1) % ackEvery == 0 || i + 1 == n) {
                        c.basicAck(env.getDeliveryTag(), true);
                    }
                    if (i + 1 == n) {
                        done.countDown();
                    }
                }
            });
        }
        byte[] body = new byte[1024];
        Arrays.fill(body, (byte) 'x');
        body[0] = '"';
        body[body.length - 1] = '"';
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("application/json")
                .build();
        Thread.sleep(300);
        due[0] = System.currentTimeMillis() + lead;
        for (int i = 0; i < n; i++) {
            long rest = due[0] - System.currentTimeMillis();
            long b = Math.max(bucket, (rest + bucket - 1) / bucket * bucket);
            p.basicPublish("", "amqp_exp_hop_" + b + "_" + (i % shards), props, body);
            if (i % 4 == 3) {
                Thread.sleep(1); // spread the publishing over a few hundred ms, as the bench's publisher does
            }
        }
        long published = System.currentTimeMillis();
        String head = "bucket " + bucket + " ms, shards " + shards + ", published " + (due[0] - published)
                + " ms before T: ";
        if (prefetch == 0) {
            long first = -1;
            long half = -1;
            long p99 = -1;
            while (true) {
                int count = c.queueDeclarePassive("amqp_exp_dest").getMessageCount();
                long now = System.currentTimeMillis() - due[0];
                first = first < 0 && count > 0 ? now : first;
                half = half < 0 && count >= n / 2 ? now : half;
                p99 = p99 < 0 && count >= n * 99 / 100 ? now : p99;
                if (count >= n) {
                    System.out.printf("%sno consumer: the queue held the first %d ms, half %d, 99%% %d, all %d ms after T%n",
                            head, first, half, p99, now);
                    return;
                }
                Thread.sleep(1);
            }
        }
        if (kc != null) {
            long end = System.currentTimeMillis() + 30_000;
            while (done.getCount() > 0 && System.currentTimeMillis() < end) {
                kc.drainEvents(java.time.Duration.ofMillis(200));
            }
            kconsumer.close();
            kc.close();
        }
        if (!done.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("received " + got.get() + " of " + n);
        }
        c.close(); // its consumer must not take the next burst's messages
        Arrays.sort(late);
        System.out.printf("%sprefetch %d, ack every %d: lateness p50 %d p90 %d p99 %d max %d min %d ms%n", head,
                prefetch, ackEvery, late[n / 2], late[n * 9 / 10], late[n * 99 / 100], late[n - 1], late[0]);
    }
}
