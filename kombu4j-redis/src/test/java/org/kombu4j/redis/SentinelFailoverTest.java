package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.ConsumerLoop;
import org.kombu4j.KombuException;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.PrivateSentinels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kill -9 of the master under a running publisher and consumer: Sentinel promotes the replica, both carry on
 * without a restart, resume within 5 s of {@code +switch-master}, and every publish that was acknowledged
 * ({@code wait_replicas=1}) is consumed.
 *
 * <p>Chaos size: {@code -Dkombu4j.sentinel.chaos.seconds=N} (default 3) is how long publishing goes on after
 * the failover, and {@code -Dkombu4j.sentinel.chaos.rounds=N} (default 1) how many masters are killed in turn
 * (the killed master is not restarted, so the group starts rounds + 1 replicas: one to promote per round, and
 * one more so that WAIT still has a replica to acknowledge publishes after the last failover).
 */
class SentinelFailoverTest {
    private static final Logger log = LoggerFactory.getLogger(SentinelFailoverTest.class);
    private static final Duration RESUME_WITHIN = Duration.ofSeconds(5);

    @Test
    void killingTheMasterLosesNoAcknowledgedPublishAndBothSidesResume() throws Exception {
        run(true);
    }

    /** A failover ordered from a sentinel demotes a live master (its clients are disconnected): the same must hold. */
    @Test
    void aFailoverOrderedFromTheSentinelsIsFollowedTheSameWay() throws Exception {
        run(false);
    }

    private void run(boolean kill) throws Exception {
        int seconds = Integer.getInteger("kombu4j.sentinel.chaos.seconds", 3);
        int rounds = Integer.getInteger("kombu4j.sentinel.chaos.rounds", 1);
        try (PrivateSentinels group = new PrivateSentinels(rounds + 1, List.of(), null)) {
            String url = group.url("&wait_replicas=1&wait_timeout=1&lease_timeout=3&unacked_restore_interval=1");
            String queue = "sentinel.failover." + System.nanoTime();
            Set<Integer> accepted = new ConcurrentSkipListSet<>();
            Set<Integer> consumed = new ConcurrentSkipListSet<>();
            AtomicInteger failedPublishes = new AtomicInteger();
            AtomicLong lastAccepted = new AtomicLong();
            AtomicLong lastConsumed = new AtomicLong();
            AtomicReference<Throwable> crashed = new AtomicReference<>();
            try (Connection pubConn = Connection.open(url); Connection subConn = Connection.open(url)) {
                Queue q = Queue.of(queue);
                pubConn.producer().publish("-1", PublishOptions.builder().routingKey(queue).declare(q).build());
                ConsumerLoop loop = ConsumerLoop.builder(subConn, c -> List.of(c.consumer(q).onMessage((body, m) -> {
                    consumed.add(Integer.parseInt(String.valueOf(body)));
                    lastConsumed.set(System.nanoTime());
                    m.ack();
                }).build())).build();
                Thread consumer = new Thread(() -> {
                    try {
                        loop.run();
                    } catch (Throwable t) {
                        crashed.set(t);
                    }
                }, "sentinel-consumer");
                consumer.start();
                CountDownLatch stopPublishing = new CountDownLatch(1);
                Thread publisher = new Thread(() -> {
                    for (int n = 0; stopPublishing.getCount() > 0; n++) {
                        try {
                            pubConn.producer().publish(Integer.toString(n), queue);
                            accepted.add(n); // only once WAIT said a replica has it
                            lastAccepted.set(System.nanoTime());
                            Thread.sleep(5);
                        } catch (KombuException e) {
                            // Reported, not accepted: the loop goes on with the next message on the same connection.
                            failedPublishes.incrementAndGet();
                        } catch (InterruptedException e) {
                            return;
                        } catch (Throwable t) {
                            crashed.set(t);
                            return;
                        }
                    }
                }, "sentinel-publisher");
                publisher.start();
                int masterPort = group.redisPort(0);
                for (int round = 0; round < rounds; round++) {
                    Thread.sleep(1500);
                    try (SwitchWatch watch = new SwitchWatch(group.sentinelPorts().get(round % 3))) {
                        assertThat(accepted).as("publishes before the kill").isNotEmpty();
                        long killedAt = System.nanoTime();
                        if (kill) {
                            group.killRedisOnPort(masterPort);
                        } else {
                            group.failover();
                        }
                        long switchedAt = watch.await(Duration.ofSeconds(30));
                        assertThat(switchedAt).as("+switch-master within 30 s; logs:\n" + group.logs()).isPositive();
                        log.info("round {}: +switch-master {} ms after the {} ({})", round,
                                TimeUnit.NANOSECONDS.toMillis(switchedAt - killedAt), kill ? "kill" : "SENTINEL FAILOVER",
                                watch.message());
                        String[] event = watch.message().split(" "); // name old-ip old-port new-ip new-port
                        masterPort = Integer.parseInt(event[4]);
                        long deadline = switchedAt + RESUME_WITHIN.toNanos();
                        while ((lastAccepted.get() - switchedAt < 0 || lastConsumed.get() - switchedAt < 0)
                                && System.nanoTime() - deadline < 0) {
                            Thread.sleep(10);
                        }
                        long pubResume = lastAccepted.get() - switchedAt;
                        long subResume = lastConsumed.get() - switchedAt;
                        log.info("round {}: publisher resumed {} ms, consumer {} ms after +switch-master", round,
                                TimeUnit.NANOSECONDS.toMillis(pubResume), TimeUnit.NANOSECONDS.toMillis(subResume));
                        assertThat(pubResume).as("publisher resumed within 5 s of +switch-master").isPositive()
                                .isLessThan(RESUME_WITHIN.toNanos());
                        assertThat(subResume).as("consumer resumed within 5 s of +switch-master").isPositive()
                                .isLessThan(RESUME_WITHIN.toNanos());
                    }
                    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
                }
                stopPublishing.countDown();
                publisher.join(30_000);
                // Messages taken but not acknowledged when the master died come back after lease_timeout (3 s).
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!consumed.containsAll(accepted) && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
                loop.stop();
                consumer.join(30_000);
                Set<Integer> missing = new TreeSet<>(accepted);
                missing.removeAll(consumed);
                log.info("accepted {}, consumed {}, publishes reported failed {}, consumer connects {}", accepted.size(),
                        consumed.size(), failedPublishes.get(), loop.connects());
                assertThat(crashed.get()).as("publisher and consumer threads never died").isNull();
                assertThat(missing).as("acknowledged publishes never consumed").isEmpty();
                assertThat(loop.connects()).as("the consumer reconnected in place").isGreaterThanOrEqualTo(rounds + 1);
            }
        }
    }

    /** A subscription to {@code +switch-master} on one sentinel: the time the event arrived. */
    private static final class SwitchWatch implements AutoCloseable {
        private final Socket socket;
        private final CountDownLatch seen = new CountDownLatch(1);
        private volatile long at;
        private volatile String message = "";

        SwitchWatch(int sentinelPort) throws Exception {
            socket = new Socket("127.0.0.1", sentinelPort);
            OutputStream out = socket.getOutputStream();
            out.write("*2\r\n$9\r\nSUBSCRIBE\r\n$14\r\n+switch-master\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            // The subscription is confirmed before the master is killed, so the event cannot be missed.
            socket.setSoTimeout(10_000); // never hang the test on a sentinel that does not answer
            for (int i = 0; i < 6; i++) {
                in.readLine(); // *3 $9 subscribe $14 +switch-master :1
            }
            socket.setSoTimeout(0);
            Thread t = new Thread(() -> {
                try {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.startsWith(PrivateSentinels.MASTER_NAME + " ")) {
                            at = System.nanoTime();
                            message = line;
                            seen.countDown();
                            return;
                        }
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            }, "switch-watch");
            t.setDaemon(true);
            t.start();
        }

        /** When {@code +switch-master} arrived, or -1 if not within {@code d}. */
        long await(Duration d) throws InterruptedException {
            return seen.await(d.toMillis(), TimeUnit.MILLISECONDS) ? at : -1;
        }

        String message() {
            return message;
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }
}
