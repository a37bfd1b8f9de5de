import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;

/**
 * What publisher confirms cost RabbitMQ, with the raw amqp-client: N persistent 1 KiB messages into one durable queue
 * {@code amqp_pubexp_<n>} (deleted after each run) from K channels on one connection ({@code ch}) or K connections
 * ({@code conn}), each with its own thread and confirm window W (a semaphore plus a sorted set, as PerfTest; W = 0:
 * no confirms). Prints msgs/s until the last confirm (without confirms: until the last basicPublish returned) and
 * until the queue held all N.
 *
 * <pre>java -cp kombu4j-cli/target/kombu4j.jar kombu4j-bench/scripts/amqp/ConfirmStreams.java N ch:1:0 ch:1:10000 conn:2:10000 ...</pre>
 */
public class ConfirmStreams {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        for (int r = 1; r < a.length; r++) {
            String[] spec = a[r].split(":");
            run(n, spec[0].equals("conn"), Integer.parseInt(spec[1]), Integer.parseInt(spec[2]));
        }
    }

    static void run(int n, boolean connections, int k, int w) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri("amqp://guest:guest@127.0.0.1:5672");
        String q = "amqp_pubexp_" + System.nanoTime();
        List<Connection> open = new ArrayList<>();
        Connection c0 = f.newConnection();
        open.add(c0);
        Channel admin = c0.createChannel();
        try {
            admin.queueDeclare(q, true, false, false, null);
            List<Channel> chs = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                Connection c = connections && i > 0 ? f.newConnection() : c0;
                if (c != c0) {
                    open.add(c);
                }
                Channel ch = c.createChannel();
                if (w > 0) {
                    ch.confirmSelect();
                }
                chs.add(ch);
            }
            byte[] body = new byte[1024];
            Arrays.fill(body, (byte) 'x');
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json")
                    .contentEncoding("utf-8").deliveryMode(2).priority(0).build();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            int share = n / k;
            for (Channel ch : chs) {
                Thread t = new Thread(() -> {
                    try {
                        Semaphore room = new Semaphore(Math.max(w, 1));
                        NavigableSet<Long> unconfirmed = new ConcurrentSkipListSet<>();
                        if (w > 0) {
                            ch.addConfirmListener(new ConfirmListener() {
                                @Override
                                public void handleAck(long tag, boolean multiple) {
                                    settle(tag, multiple);
                                }

                                @Override
                                public void handleNack(long tag, boolean multiple) {
                                    settle(tag, multiple);
                                }

                                void settle(long tag, boolean multiple) {
                                    if (multiple) {
                                        NavigableSet<Long> older = unconfirmed.headSet(tag, true);
                                        int count = older.size();
                                        older.clear();
                                        room.release(count);
                                    } else if (unconfirmed.remove(tag)) {
                                        room.release();
                                    }
                                }
                            });
                        }
                        start.await();
                        for (int j = 0; j < share; j++) {
                            if (w > 0) {
                                room.acquire();
                                unconfirmed.add(ch.getNextPublishSeqNo());
                            }
                            ch.basicPublish("", q, false, props, body);
                        }
                        if (w > 0) {
                            room.acquire(w);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                t.start();
                threads.add(t);
            }
            Thread.sleep(200);
            long t0 = System.nanoTime();
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            long t1 = System.nanoTime();
            while (admin.messageCount(q) < (long) share * k) {
                Thread.sleep(2);
            }
            long tq = System.nanoTime();
            System.out.printf("%s x%d, window %d: %,.0f msgs/s until the last %s, %,.0f msgs/s until all queued%n",
                    connections ? "connections" : "channels", k, w, n / ((t1 - t0) / 1e9),
                    w > 0 ? "confirm" : "basicPublish returned", n / ((tq - t0) / 1e9));
        } finally {
            admin.queueDelete(q);
            for (Connection c : open) {
                c.close();
            }
        }
    }
}
