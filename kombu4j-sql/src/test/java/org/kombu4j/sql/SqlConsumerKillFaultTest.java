package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Producer;
import org.kombu4j.Queue;

/**
 * A consumer in a child JVM SIGKILLed while it holds a prefetched batch: every message comes back to
 * another consumer once the lease ({@code visibility_timeout=2}) ran out; none is lost. A message the
 * child acked can come again only if the kill came before the fetcher wrote that ack (acks are
 * written asynchronously, within milliseconds), so at most a few of those.
 *
 * <p>{@code -Dkombu4j.fault.messages=N} (default 500) publishes more.
 */
class SqlConsumerKillFaultTest {
    private static final int MESSAGES = Integer.getInteger("kombu4j.fault.messages", 500);
    private static final int PREFETCH = 50;
    private static final int KILL_AFTER_ACKS = 100;
    /** Acks queued but not yet written when SIGKILL lands: the fetcher writes them within ms, the child acks every 20 ms. */
    private static final int MAX_UNWRITTEN_ACKS = 3;

    @Test
    void postgresKilledConsumersBatchIsRedeliveredAfterTheLease() throws Exception {
        String url = TestDatabases.postgres("k4j_kill");
        try {
            killMidBatch(url + "?visibility_timeout=2", "postgresql");
        } finally {
            TestDatabases.drop(url);
        }
    }

    @Test
    void sqliteKilledConsumersBatchIsRedeliveredAfterTheLease() throws Exception {
        String url = TestDatabases.sqlite("k4j_kill");
        try {
            killMidBatch(url + "?visibility_timeout=2", "sqlite");
        } finally {
            TestDatabases.drop(url);
        }
    }

    private void killMidBatch(String url, String label) throws Exception {
        Queue q = Queue.of("kill.q");
        Set<Integer> all = IntStream.range(0, MESSAGES).boxed().collect(Collectors.toCollection(TreeSet::new));
        try (Connection p = Connection.open(url)) {
            Producer producer = p.producer();
            for (int i : all) {
                producer.publish(i, FaultSupport.to(q));
            }
        }

        Set<Integer> childGot = ConcurrentHashMap.newKeySet();
        Set<Integer> childAcked = ConcurrentHashMap.newKeySet();
        List<String> childOther = new CopyOnWriteArrayList<>();
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                SlowAckChild.class.getName(), url, q.name(), Integer.toString(PREFETCH), "20")
                .redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("GOT ")) {
                        childGot.add(Integer.parseInt(line.substring(4)));
                    } else if (line.startsWith("ACK ")) {
                        childAcked.add(Integer.parseInt(line.substring(4)));
                    } else {
                        childOther.add(line);
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                childOther.add("reader: " + e);
            }
        }, "child-reader");
        reader.start();
        long heldAtKill;
        int gotAtKill;
        int ackedAtKill;
        long killedAt;
        try {
            boolean enough = FaultSupport.waitFor(Duration.ofSeconds(40),
                    () -> childAcked.size() >= KILL_AFTER_ACKS || !child.isAlive());
            assertThat(enough && child.isAlive()).as("child acked %d messages in time; its output: %s",
                    KILL_AFTER_ACKS, childOther).isTrue();
        } finally {
            child.destroyForcibly(); // SIGKILL: no close, no restore, no ack flush
            child.waitFor(10, TimeUnit.SECONDS);
            killedAt = System.nanoTime();
            reader.join(5000);
        }
        gotAtKill = childGot.size();
        ackedAtKill = childAcked.size();
        // Rows the dead child had claimed (prefetched or in its handler) and not deleted.
        heldAtKill = FaultSupport.queryLong(url, "SELECT count(*) FROM kombu_message WHERE NOT visible");
        assertThat(heldAtKill).as("the child held a batch when it was killed").isGreaterThan(0);

        Set<Integer> written = new TreeSet<>(childAcked);
        Map<Integer, Integer> got = FaultSupport.drain(url, q, g -> {
            for (int i : all) {
                if (!g.containsKey(i) && !written.contains(i)) {
                    return false;
                }
            }
            return true;
        }, Duration.ofSeconds(30), Duration.ofMillis(1500));
        long tookMillis = FaultSupport.millisSince(killedAt);

        Set<Integer> lost = new TreeSet<>(all);
        lost.removeAll(childAcked);
        lost.removeAll(got.keySet());
        Set<Integer> ackedAgain = new TreeSet<>(childAcked);
        ackedAgain.retainAll(got.keySet());
        Set<Integer> heldUnacked = new TreeSet<>(childGot);
        heldUnacked.removeAll(childAcked);
        System.out.printf("[%s kill] published %d, child got %d acked %d (unacked in its handler: %s), rows leased at "
                + "kill %d; second consumer got %d distinct (%d duplicate deliveries) in %d ms after the kill; "
                + "lost %d %s; acked by the child yet delivered again %d %s%n", label, all.size(), gotAtKill,
                ackedAtKill, heldUnacked, heldAtKill, got.size(), FaultSupport.duplicates(got), tookMillis, lost.size(),
                lost, ackedAgain.size(), ackedAgain);

        assertThat(lost).as("messages neither acked by the killed child nor delivered to the second consumer").isEmpty();
        assertThat(got.keySet()).as("the message the child was handling when killed").containsAll(heldUnacked);
        assertThat(ackedAgain.size()).as("acked by the child but delivered again (acks not yet written at the kill)")
                .isLessThanOrEqualTo(MAX_UNWRITTEN_ACKS);
        assertThat(FaultSupport.duplicates(got)).as("a message delivered twice to the second consumer").isZero();
        assertThat(FaultSupport.queryLong(url, "SELECT count(*) FROM kombu_message")).as("rows left").isZero();
    }
}
