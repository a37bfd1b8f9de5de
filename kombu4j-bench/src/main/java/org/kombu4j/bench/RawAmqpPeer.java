package org.kombu4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.kombu4j.BrokerUrl;

/**
 * The RabbitMQ Java client used directly, in this process, doing what kombu4j's AMQP runs do: a
 * durable direct exchange and a durable queue named {@code bench.k4j.<random>.*}; N bodies made by
 * {@link Bodies}, serialized with Jackson, published persistent ({@code delivery_mode} 2) as
 * {@code application/json}; consumed with {@code basicQos(prefetch)} and a manual ack per message (or
 * auto-ack), each body decoded with Jackson to read its {@code seq}. Whole-process CPU is measured as
 * for kombu4j ({@link ProcessCpu}), so the two are comparable; kombu4j's runs are interleaved with it.
 *
 * <p>{@code publish} and {@code publish-async} each yield two lines: {@value #NAME} without confirms,
 * and {@value #CONFIRMS_NAME} with publisher confirms tracked asynchronously in a window of
 * {@value #WINDOW} (a semaphore plus a sorted set of unconfirmed sequence numbers, as RabbitMQ's
 * PerfTest does), timed until the last confirm arrived.
 *
 * <p>Without confirms the clock stops when the last {@code basicPublish} returned: the bytes are in the socket, not
 * yet in the broker. For {@code publish-batch}, whose kombu4j side counts until the broker confirmed every message,
 * a third line {@value #QUEUED_NAME} times the same run until the queue holds all N (polled every 5 ms), which is
 * the nearer comparison: the broker has taken every message, though a confirm would also wait for the disk.
 */
final class RawAmqpPeer implements Peer {
    static final String NAME = "amqp-client";
    static final String CONFIRMS_NAME = "amqp-client+confirms";
    static final String QUEUED_NAME = "amqp-client@queued";
    static final int WINDOW = 10_000;
    /** The delayed scenario's rounding: as kombu4j's last hop ({@code DelayedDelivery.BUCKET_MS}). */
    static final int DELAY_BUCKET_MS = 50;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AMQP.BasicProperties PROPS = new AMQP.BasicProperties.Builder()
            .contentType("application/json").contentEncoding("utf-8").deliveryMode(2).priority(0).build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean inProcess() {
        return true;
    }

    @Override
    public boolean supports(Scenario scenario, String url) {
        String scheme;
        try {
            scheme = BrokerUrl.parse(url.split(";")[0]).scheme();
        } catch (RuntimeException e) {
            return false;
        }
        return (scheme.equals("amqp") || scheme.equals("pyamqp"))
                && (scenario == Scenario.DELAYED || scenario.isThroughput() && scenario != Scenario.ROUNDTRIP
                        && scenario != Scenario.WORKER && !scenario.isCelery());
    }

    @Override
    public List<Measurement> run(Scenario scenario, Settings s, int round, Deadline deadline, PrintStream err) {
        List<Measurement> out = new ArrayList<>();
        switch (scenario) {
            case PUBLISH:
            case PUBLISH_ASYNC:
            case PUBLISH_BATCH:
                Measurement raw = guarded(NAME, scenario, s, round, err,
                        (ch, names, m) -> publish(ch, names, m, s, false, deadline));
                out.add(raw);
                if (scenario == Scenario.PUBLISH_BATCH) {
                    out.add(untilQueued(raw));
                }
                out.add(guarded(CONFIRMS_NAME, scenario, s, round, err,
                        (ch, names, m) -> publish(ch, names, m, s, true, deadline)));
                break;
            case CONSUME_ACK:
            case CONSUME_NOACK:
                boolean noAck = scenario == Scenario.CONSUME_NOACK;
                out.add(guarded(NAME, scenario, s, round, err, (ch, names, m) -> consume(ch, names, m, s, noAck, deadline, err)));
                break;
            case DELAYED:
                out.add(guarded(NAME, scenario, s, round, err, (ch, names, m) -> delayed(ch, names, m, s, deadline)));
                break;
            default:
                throw new IllegalArgumentException(NAME + " has no " + scenario.cliName() + " scenario");
        }
        return out;
    }

    /**
     * The no-confirms run of {@code raw} timed until its queue held every message ({@code seconds_until_queued})
     * instead of until the last call returned; a run without that time keeps its errors and gets one more.
     */
    static Measurement untilQueued(Measurement raw) {
        Measurement q = new Measurement(QUEUED_NAME, String.valueOf(raw.get("transport")), raw.scenario());
        raw.asMap().forEach((k, v) -> {
            if (!k.equals("system")) {
                q.put(k, v);
            }
        });
        Double seconds = raw.number("seconds_until_queued");
        Double messages = raw.number("messages");
        if (seconds == null || messages == null || seconds <= 0) {
            q.put("msgs_per_s", null);
            return raw.errors() > 0 ? q : q.error("no time until all messages were queued");
        }
        return q.put("seconds", seconds).put("msgs_per_s", messages / seconds).put("clock", "until_queued");
    }

    @FunctionalInterface
    private interface Body {
        void run(Channel ch, String[] names, Measurement m) throws IOException, InterruptedException, TimeoutException;
    }

    /** Connects, declares, runs {@code body}, deletes the entities whatever happened. */
    private Measurement guarded(String system, Scenario scenario, Settings s, int round, PrintStream err, Body body) {
        Measurement m = new Measurement(system, "rabbitmq", scenario.cliName());
        m.put("round", round).put("body_bytes", s.bodyBytes()).put("queues", 1).put("connections", 1);
        byte[] id = new byte[5];
        RANDOM.nextBytes(id);
        String prefix = BenchEntities.PREFIX + HexFormat.of().formatHex(id);
        String exchange = prefix + ".ex";
        String queue = prefix + ".q.0";
        err.println("[bench] " + system + " " + scenario.cliName() + " #" + round + " on " + prefix + ".*");
        try (com.rabbitmq.client.Connection conn = factory(s.url()).newConnection("kombu4j-bench-" + NAME)) {
            try (Channel ch = conn.createChannel()) {
                ch.exchangeDeclare(exchange, "direct", true, false, false, null);
                AMQP.Queue.DeclareOk ok = ch.queueDeclare(queue, true, false, false, null);
                if (ok.getMessageCount() > 0) {
                    throw new BenchEntities.RefusedException("queue '" + queue + "' already holds messages");
                }
                ch.queueBind(queue, exchange, queue);
                body.run(ch, new String[] {exchange, queue}, m);
            } finally {
                try (Channel ch = conn.createChannel()) {
                    ch.queueDelete(queue);
                    ch.exchangeDelete(exchange);
                } catch (IOException | TimeoutException | RuntimeException e) {
                    err.println("[bench] cleanup of " + prefix + ".* failed: " + e.getMessage());
                }
            }
        } catch (IOException | TimeoutException | RuntimeException e) {
            m.error(Measurement.describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            m.error("interrupted");
        }
        return m;
    }

    /** The same connection settings as kombu4j's AMQP transport: vhost as Kombu reads it, 60 s heartbeat. */
    static ConnectionFactory factory(String url) {
        BrokerUrl u = BrokerUrl.parse(url.split(";")[0]);
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(u.host().isEmpty() ? "localhost" : u.host());
        f.setPort(u.port(ConnectionFactory.DEFAULT_AMQP_PORT));
        String v = u.virtualHost();
        f.setVirtualHost(v == null || v.isEmpty() ? "/" : v);
        f.setUsername(u.user() == null ? "guest" : u.user());
        f.setPassword(u.password() == null ? "guest" : u.password());
        f.setRequestedHeartbeat(60);
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        return f;
    }

    // ---- publish ----

    private void publish(Channel ch, String[] names, Measurement m, Settings s, boolean confirms, Deadline deadline)
            throws IOException, InterruptedException {
        int n = s.messages();
        Bodies bodies = new Bodies(s.bodyBytes());
        Histogram calls = new Histogram(3);
        Window window = confirms ? new Window(ch, WINDOW) : null;
        TimedSection.settle();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long st = System.nanoTime();
            byte[] body = JSON.writeValueAsBytes(bodies.body(i));
            if (window != null) {
                window.acquire(ch.getNextPublishSeqNo());
            }
            ch.basicPublish(names[0], names[1], false, PROPS, body);
            calls.recordValue(Math.max(0, System.nanoTime() - st));
            if ((i & 4095) == 4095) {
                deadline.check("publishing");
            }
        }
        if (window != null) {
            window.awaitEmpty(deadline);
        }
        long t1 = System.nanoTime();
        long cpu = ProcessCpu.nanos() - cpu0;
        long queued = ch.messageCount(names[1]);
        while (queued < n && !deadline.passed()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            queued = ch.messageCount(names[1]);
        }
        long tq = System.nanoTime();
        m.throughput(n, t1 - t0, cpu);
        m.put("seconds_until_queued", (tq - t0) / 1e9);
        m.put("missing", Math.max(0, n - queued)).put("duplicates", Math.max(0, queued - n));
        m.latencies(calls, 1e6);
        m.put("latency_of", "publish_call").put("publish_mode", confirms ? "confirms-window:" + WINDOW : "no-confirms");
        if (window != null && window.nacked.get() > 0) {
            m.error(window.nacked.get() + " publishes nacked");
        }
        if (queued < n) {
            m.error("only " + queued + " of " + n + " messages reached the queue before the deadline");
        }
    }

    /** Outstanding publisher confirms, at most {@code size}: a semaphore and a sorted set of sequence numbers. */
    private static final class Window implements ConfirmListener {
        private final Semaphore room;
        private final ConcurrentSkipListSet<Long> unconfirmed = new ConcurrentSkipListSet<>();
        final AtomicInteger nacked = new AtomicInteger();

        Window(Channel ch, int size) throws IOException {
            this.room = new Semaphore(size);
            ch.confirmSelect();
            ch.addConfirmListener(this);
        }

        void acquire(long seq) throws InterruptedException {
            room.acquire();
            unconfirmed.add(seq);
        }

        @Override
        public void handleAck(long tag, boolean multiple) {
            settle(tag, multiple);
        }

        @Override
        public void handleNack(long tag, boolean multiple) {
            nacked.addAndGet(settle(tag, multiple));
        }

        private int settle(long tag, boolean multiple) {
            int done = 0;
            if (multiple) {
                Long s;
                while ((s = unconfirmed.pollFirst()) != null) {
                    if (s > tag) {
                        unconfirmed.add(s);
                        break;
                    }
                    done++;
                }
            } else if (unconfirmed.remove(tag)) {
                done = 1;
            }
            room.release(done);
            return done;
        }

        void awaitEmpty(Deadline deadline) {
            while (!unconfirmed.isEmpty()) {
                deadline.check("waiting for publisher confirms");
                LockSupport.parkNanos(50_000);
            }
        }
    }

    // ---- delayed ----

    /**
     * The {@code delayed} scenario done the plainest way RabbitMQ allows without plugins, as a developer would with
     * the raw client: each message goes to a durable queue whose {@code x-message-ttl} is its whole delay rounded up
     * to {@value #DELAY_BUCKET_MS} ms, dead-lettering straight into the destination queue: one hop, as kombu4j takes
     * for delays under 8 s (longer ones pass Kombu's level queues first). The delay queues are declared when first needed, on the publishing channel, and deleted after the
     * round. Publishing with confirms in the {@value #WINDOW} window, as kombu4j's run ({@code confirm_publish=async});
     * a consumer on a second connection with {@code basicQos(prefetch)} and an ack per message, as kombu4j's. This is
     * the broker's floor for the burst more than a peer to beat: it shows what RabbitMQ itself takes to dead-letter
     * and deliver N persistent messages due at one moment.
     */
    private void delayed(Channel ch, String[] names, Measurement m, Settings s, Deadline deadline)
            throws IOException, InterruptedException, TimeoutException {
        int n = s.messages();
        long delayMs = KombuDelayed.delayFor(n).toMillis();
        m.put("prefetch", s.prefetch()).put("delay_s", delayMs / 1000.0).put("connections", 2)
                .put("delay_topology", "one TTL queue per " + DELAY_BUCKET_MS + " ms of delay, dead-lettering into the queue");
        Bodies bodies = new Bodies(s.bodyBytes());
        SequenceTracker seen = new SequenceTracker(n);
        Histogram lateness = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
        AtomicInteger early = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Set<String> delayQueues = new LinkedHashSet<>();
        long[] due = new long[1];
        Window window = new Window(ch, WINDOW);
        try (com.rabbitmq.client.Connection cc = factory(s.url()).newConnection("kombu4j-bench-" + NAME + "-consumer")) {
            Channel cch = cc.createChannel();
            cch.basicQos(s.prefetch(), false);
            cch.basicConsume(names[1], false, new DefaultConsumer(cch) {
                @Override
                public void handleDelivery(String consumerTag, Envelope env, AMQP.BasicProperties props, byte[] body)
                        throws IOException {
                    long late = System.currentTimeMillis() * 1000 - due[0] * 1000;
                    try {
                        seen.see(Bodies.seqOf(JSON.readValue(body, Map.class)));
                    } catch (IOException e) {
                        firstError.compareAndSet(null, Measurement.describe(e));
                    }
                    if (late < 0) {
                        early.incrementAndGet();
                    } else {
                        lateness.recordValue(Math.min(late, lateness.getHighestTrackableValue()));
                    }
                    getChannel().basicAck(env.getDeliveryTag(), false);
                    if (received.incrementAndGet() == n) {
                        done.countDown();
                    }
                }
            });
            TimedSection.settle();
            long cpu0 = ProcessCpu.nanos();
            long t0 = System.nanoTime();
            due[0] = System.currentTimeMillis() + delayMs;
            try {
                for (int i = 0; i < n; i++) {
                    byte[] body = JSON.writeValueAsBytes(bodies.body(i));
                    long ms = due[0] - System.currentTimeMillis();
                    window.acquire(ch.getNextPublishSeqNo());
                    if (ms <= 0) {
                        ch.basicPublish(names[0], names[1], false, PROPS, body);
                        continue;
                    }
                    long ttl = (ms + DELAY_BUCKET_MS - 1) / DELAY_BUCKET_MS * DELAY_BUCKET_MS;
                    String q = names[1] + ".delay." + ttl;
                    if (delayQueues.add(q)) {
                        ch.queueDeclare(q, true, false, false, Map.of("x-message-ttl", (int) ttl,
                                "x-dead-letter-exchange", names[0], "x-dead-letter-routing-key", names[1]));
                    }
                    ch.basicPublish("", q, false, PROPS, body);
                }
                window.awaitEmpty(deadline);
                long publishedAt = System.currentTimeMillis();
                m.put("published_before_eta_s", (due[0] - publishedAt) / 1000.0);
                if (publishedAt > due[0]) {
                    m.error("publishing ended after the due time: the lateness includes publishing; use fewer --messages");
                }
                done.await(deadline.remaining().toMillis(), TimeUnit.MILLISECONDS);
                m.throughput(received.get(), System.nanoTime() - t0, ProcessCpu.nanos() - cpu0);
            } finally {
                for (String q : delayQueues) {
                    ch.queueDelete(q);
                }
            }
        }
        m.latencies(lateness, 1000).put("latency_of", "receipt_after_eta");
        m.put("messages", n).put("received", received.get()).put("missing", seen.missing())
                .put("duplicates", seen.duplicates()).put("early", early.get()).put("delay_queues", delayQueues.size());
        if (window.nacked.get() > 0) {
            m.error(window.nacked.get() + " publishes nacked");
        }
        if (early.get() > 0) {
            m.error(early.get() + " messages received before their eta");
        }
        if (firstError.get() != null) {
            m.error("decode error: " + firstError.get());
        }
        if (!seen.complete()) {
            m.error("received " + received.get() + " of " + n + " delayed messages before the deadline");
        }
    }

    // ---- consume ----

    private void consume(Channel ch, String[] names, Measurement m, Settings s, boolean noAck, Deadline deadline,
            PrintStream err) throws IOException, InterruptedException {
        int n = s.messages();
        m.put("prefetch", s.prefetch());
        prefill(ch, names, n, s, deadline, err);
        SequenceTracker seen = new SequenceTracker(n);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger received = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        ch.basicQos(s.prefetch(), false);
        TimedSection.settle();
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        String tag = ch.basicConsume(names[1], noAck, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String consumerTag, Envelope env, AMQP.BasicProperties props, byte[] body)
                    throws IOException {
                try {
                    seen.see(Bodies.seqOf(JSON.readValue(body, Map.class)));
                } catch (IOException e) {
                    firstError.compareAndSet(null, Measurement.describe(e));
                }
                if (!noAck) {
                    getChannel().basicAck(env.getDeliveryTag(), false);
                }
                if (received.incrementAndGet() == n) {
                    done.countDown();
                }
            }
        });
        done.await(deadline.remaining().toMillis(), TimeUnit.MILLISECONDS);
        long t1 = System.nanoTime();
        long cpu = ProcessCpu.nanos() - cpu0;
        ch.basicCancel(tag);
        m.throughput(received.get(), t1 - t0, cpu);
        m.put("messages", n).put("received", received.get());
        m.put("missing", seen.missing()).put("duplicates", seen.duplicates());
        if (firstError.get() != null) {
            m.error("decode error: " + firstError.get());
        }
        if (!seen.complete()) {
            m.error("received " + received.get() + " of " + n + " messages before the deadline");
        }
    }

    private void prefill(Channel ch, String[] names, int n, Settings s, Deadline deadline, PrintStream err)
            throws IOException, InterruptedException {
        Bodies bodies = new Bodies(s.bodyBytes());
        try (Channel pub = ch.getConnection().createChannel()) {
            Window window = new Window(pub, WINDOW);
            for (int i = 0; i < n; i++) {
                window.acquire(pub.getNextPublishSeqNo());
                pub.basicPublish(names[0], names[1], false, PROPS, JSON.writeValueAsBytes(bodies.body(i)));
                if ((i & 4095) == 4095) {
                    deadline.check("pre-filling the queue");
                }
            }
            window.awaitEmpty(deadline);
        } catch (TimeoutException e) {
            throw new IOException(e);
        }
        long queued = ch.messageCount(names[1]);
        while (queued < n) {
            deadline.check("waiting for the pre-filled messages to be queued (" + queued + "/" + n + ")");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            queued = ch.messageCount(names[1]);
        }
        if (queued > n) {
            throw new IllegalStateException("queue holds " + queued + " messages after publishing " + n);
        }
    }
}
