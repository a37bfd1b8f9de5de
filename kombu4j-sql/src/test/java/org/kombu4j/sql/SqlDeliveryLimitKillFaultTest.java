package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Message;
import org.kombu4j.Queue;
import org.kombu4j.transport.DeadLetters;

/**
 * A poison message whose consumers die holding it: each is a child JVM SIGKILLed while its handler has the
 * message, so it comes back only when the lease ({@code visibility_timeout=1}) ran out, with no requeue anyone
 * could count but the row's delivery count. With {@code x-delivery-limit} 1 the third delivery does not happen:
 * the message is dead-lettered (reason {@code delivery_limit}), by a consumer that never sees it.
 */
class SqlDeliveryLimitKillFaultTest {
    private static final int LIMIT = 1;

    @Test
    void postgres() throws Exception {
        FaultSupport.inDatabase(TestDatabases::postgres, "k4j_limit", url -> killedUntilTheLimit(url + "?visibility_timeout=1", "postgresql"));
    }

    @Test
    void sqlite() throws Exception {
        FaultSupport.inDatabase(TestDatabases::sqlite, "k4j_limit", url -> killedUntilTheLimit(url + "?visibility_timeout=1", "sqlite"));
    }

    @Test
    void mariadb() throws Exception {
        FaultSupport.inDatabase(TestDatabases::mariadb, "k4j_limit", url -> killedUntilTheLimit(url + "?visibility_timeout=1", "mariadb"));
    }

    private void killedUntilTheLimit(String url, String label) throws Exception {
        Exchange dlx = Exchange.direct("limit.dlx");
        Queue dlq = Queue.of("limit.dead", dlx, "dead");
        Queue q = Queue.named("limit.q").deadLetter(dlx.name(), "dead").deliveryLimit(LIMIT).build();
        try (Connection c = Connection.open(url)) {
            c.channel().declareExchange(dlx, false);
            c.channel().declareQueue(dlq, false);
            c.channel().bind(dlq.name(), dlq.bindings().get(0));
            c.producer().publish(7, FaultSupport.to(q));
        }
        long lastKill = 0;
        for (int delivery = 1; delivery <= LIMIT + 1; delivery++) {
            // A plain declaration in the child: the limit is the queue's, stored by the declaration above.
            try (ChildJvm child = new ChildJvm(SlowAckChild.class, url, q.name(), "1", Long.toString(Long.MAX_VALUE / 4))) {
                assertThat(child.awaitLine("GOT 7"::equals, Duration.ofSeconds(30)))
                        .as("delivery %d reached consumer %d; its output: %s", delivery, delivery, child.lines()).isNotNull();
                child.kill();
                lastKill = System.nanoTime();
            }
        }
        List<Object> work = new CopyOnWriteArrayList<>();
        List<Message> dead = new CopyOnWriteArrayList<>();
        try (Connection c = Connection.open(url)) {
            c.consumer(q).onMessage((body, m) -> {
                work.add(body);
                m.ack();
            }).consume();
            c.consumer(dlq).onMessage((body, m) -> {
                dead.add(m);
                m.ack();
            }).consume();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (dead.isEmpty() && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(100));
            }
            long took = FaultSupport.millisSince(lastKill);
            for (int i = 0; i < 5; i++) {
                c.drainEvents(Duration.ofMillis(100));
            }
            System.out.printf("[%s delivery limit] dead-lettered %d ms after the last kill (lease 1 s); work deliveries after "
                    + "the kills %s%n", label, took, work);
        }
        assertThat(work).as("a third delivery with limit %d", LIMIT).isEmpty();
        assertThat(dead).hasSize(1);
        Message m = dead.get(0);
        assertThat(m.decode()).isEqualTo(7);
        Map<?, ?> death = DeadLetters.last(m.headers());
        assertThat(death).as("x-death of %s", m.headers()).isNotNull();
        assertThat(String.valueOf(death.get("reason"))).isEqualTo(DeadLetters.DELIVERY_LIMIT);
        assertThat(String.valueOf(death.get("queue"))).isEqualTo(q.name());
        assertThat(m.deliveryInfo().routingKey()).isEqualTo("dead");
    }
}
