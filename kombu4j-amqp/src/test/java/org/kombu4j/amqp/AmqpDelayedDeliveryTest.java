package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/**
 * The delay topology: Kombu's routing keys and levels, the sub-second rest in the last hop, Celery-style messages
 * through it.
 */
class AmqpDelayedDeliveryTest {

    /** (exchange, routing key) pairs the test delayed messages to. */
    private final List<String[]> delayedTo = new ArrayList<>();

    /** The last hops of this test's destinations go; other processes' (same broker, same prefix) stay. */
    @AfterEach
    void deleteLastHops() {
        if (delayedTo.isEmpty()) {
            return;
        }
        try (Connection c = Connection.open(LocalRabbit.url())) {
            for (String[] d : delayedTo) {
                LastHops.delete(c, d[0], d[1]);
            }
        }
    }

    /**
     * Declares {@code exchange} and {@code queue} bound to it by {@code job}, the destination a test delays to, and
     * notes it for {@link #deleteLastHops}.
     */
    private void declareDestination(TransportChannel ch, Exchange exchange, String queue) {
        delayedTo.add(new String[] {exchange.name(), "job"});
        ch.declareExchange(exchange, false);
        ch.declareQueue(Queue.of(queue), false);
        ch.bind(queue, org.kombu4j.Binding.of(exchange, "job"));
    }

    @Test
    void theDelayLeadsTheRoutingKeyAsKombuWritesIt() {
        assertThat(DelayedDelivery.routingKey(5, "a.b"))
                .isEqualTo("0.".repeat(25) + "1.0.1.a.b");
        assertThat(DelayedDelivery.routingKey(DelayedDelivery.MAX_DELAY_SECONDS, "k")).isEqualTo("1.".repeat(28) + "k");
        assertThat(DelayedDelivery.ttlMillis(0)).isEqualTo(1000);
        assertThat(DelayedDelivery.ttlMillis(27)).isEqualTo(134_217_728_000L);
    }

    @Test
    void subSecondRestsWaitInTheLastHopRoundedUpTo50Ms() {
        assertThat(DelayedDelivery.bucket(0)).isZero();
        assertThat(DelayedDelivery.bucket(1)).isEqualTo(50);
        assertThat(DelayedDelivery.bucket(50)).isEqualTo(50);
        assertThat(DelayedDelivery.bucket(51)).isEqualTo(100);
        assertThat(DelayedDelivery.bucket(999)).isEqualTo(1000);
        assertThat(DelayedDelivery.lastHop("k4jab", 0)).isEqualTo("k4jab");
        // Another word than the token's, so a whole-second last hop ("#.k4jab") never takes it as well.
        assertThat(DelayedDelivery.lastHop("k4jab", 150)).isEqualTo("k4jabm150");
    }

    @Test
    void aDelayEntersAtItsHighestLevel() {
        assertThat(DelayedDelivery.entry(0)).isEqualTo(DelayedDelivery.DELIVERY_EXCHANGE);
        assertThat(DelayedDelivery.entry(1)).isEqualTo("celery_delayed_0");
        assertThat(DelayedDelivery.entry(3)).isEqualTo("celery_delayed_1");
        assertThat(DelayedDelivery.entry(4)).isEqualTo("celery_delayed_2");
        assertThat(DelayedDelivery.entry(DelayedDelivery.MAX_DELAY_SECONDS)).isEqualTo(DelayedDelivery.ENTRY);
    }

    @Test
    void theDestinationTokenIsOneWordPerExchangeAndRoutingKey() {
        String t = DelayedDelivery.destination("ex", "a.b");
        assertThat(t).matches("k4j[0-9a-f]{32}");
        assertThat(DelayedDelivery.destination("ex", "a.b")).isEqualTo(t);
        assertThat(DelayedDelivery.destination("ex.a", "b")).isNotEqualTo(t);
        assertThat(DelayedDelivery.destination("", "a.b")).isNotEqualTo(t);
    }

    @Test
    void anExpirationOnADelayedMessageIsRefused() {
        try (Connection c = Connection.open(LocalRabbit.url())) {
            assertThatThrownBy(() -> c.producer().publish("x", PublishOptions.builder().routingKey("nowhere")
                    .countdown(Duration.ofSeconds(5)).expiration(Duration.ofSeconds(60)).build()))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("expiration");
        }
    }

    /**
     * Rests wait in their own last-hop queues ({@code <token>m<B>}), which the whole-second last hop of the same
     * destination ({@code #.<token>}, declared here first as kombu4j declares it) must not also take: each message
     * arrives once, with its own routing key, never before it is due.
     */
    @Test
    void subSecondRestsArriveOnceAndNeverEarly() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Exchange direct = Exchange.direct("k4jdelay." + id + ".rest");
        String q = "k4jdelay." + id + ".rq";
        try (Connection c = Connection.open(LocalRabbit.url())) {
            TransportChannel ch = c.channel();
            try {
                declareDestination(ch, direct, q);
                c.producer(direct).publish("warm-up: declares the levels", PublishOptions.builder().routingKey("job")
                        .countdown(Duration.ofSeconds(1)).build());
                String token = DelayedDelivery.destination(direct.name(), "job");
                Channel raw = ((AmqpTransport) c.transport()).openAmqpChannel();
                String wholeSeconds = DelayedDelivery.RETURN_QUEUE_PREFIX + token;
                raw.queueDeclare(wholeSeconds, true, false, false, java.util.Map.of("x-message-ttl", 0,
                        "x-dead-letter-exchange", direct.name(), "x-dead-letter-routing-key", "job"));
                raw.queueBind(wholeSeconds, DelayedDelivery.DELIVERY_EXCHANGE, "#." + token);
                raw.close();
                long[] due = new long[8];
                for (int i = 0; i < due.length; i++) {
                    long at = System.currentTimeMillis() + 150 + 110L * i;
                    due[i] = at;
                    c.producer(direct).publish("m" + i, PublishOptions.builder().routingKey("job")
                            .eta(java.time.Instant.ofEpochMilli(at)).build());
                }
                java.util.Map<String, Long> arrived = new java.util.HashMap<>();
                java.util.List<String> all = new java.util.ArrayList<>();
                long end = System.currentTimeMillis() + 10_000;
                while (System.currentTimeMillis() < end && arrived.size() < due.length + 1) {
                    TransportMessage m = ch.get(q, true);
                    if (m == null) {
                        Thread.sleep(5);
                        continue;
                    }
                    // JSON or plain text, whichever the string was sent as.
                    String body = new String(m.content().body(), java.nio.charset.StandardCharsets.UTF_8)
                            .replace("\"", "");
                    all.add(body);
                    arrived.put(body, System.currentTimeMillis());
                    assertThat(m.routingKey()).isEqualTo("job");
                }
                Thread.sleep(1500);
                while (true) {
                    TransportMessage m = ch.get(q, true);
                    if (m == null) {
                        break;
                    }
                    all.add(new String(m.content().body(), java.nio.charset.StandardCharsets.UTF_8));
                }
                assertThat(all).hasSize(due.length + 1).doesNotHaveDuplicates();
                for (int i = 0; i < due.length; i++) {
                    assertThat(arrived.get("m" + i)).as("m%d", i).isGreaterThanOrEqualTo(due[i]);
                }
                // The destination's last hops, whole-second and rests, go when asked; none of them is left.
                assertThat(((AmqpTransport) c.transport()).deleteDelayQueues(direct.name(), "job"))
                        .isEqualTo(DelayedDelivery.DIRECT_SECONDS * 1000 / DelayedDelivery.BUCKET_MS + 1);
                Channel check = ((AmqpTransport) c.transport()).openAmqpChannel();
                for (long hold = 0; hold <= DelayedDelivery.DIRECT_SECONDS * 1000L; hold += DelayedDelivery.BUCKET_MS) {
                    String name = DelayedDelivery.RETURN_QUEUE_PREFIX + DelayedDelivery.lastHop(token, hold);
                    assertThat(check.queueDeclare(name, false, false, true, null).getQueue()).isEqualTo(name);
                    check.queueDelete(name);
                }
                check.close();
            } finally {
                ch.deleteQueue(q);
                ch.deleteExchange(direct.name());
            }
        }
    }

    /**
     * A message published as Celery does (to {@code celery_delayed_27} with the delay in front of its routing key,
     * destination bound Celery's way by {@code #.<key>}) goes through the levels kombu4j declared; a kombu4j delayed
     * message to a direct exchange arrives with its own routing key.
     */
    @Test
    void celeryAndKombu4jShareTheLevels() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Exchange topic = Exchange.topic("k4jdelay." + id + ".celery");
        Exchange direct = Exchange.direct("k4jdelay." + id + ".direct");
        String celeryQ = "k4jdelay." + id + ".cq";
        String kombuQ = "k4jdelay." + id + ".kq";
        try (Connection c = Connection.open(LocalRabbit.url())) {
            TransportChannel ch = c.channel();
            try {
                ch.declareExchange(topic, false);
                ch.declareQueue(Queue.of(celeryQ), false);
                declareDestination(ch, direct, kombuQ);
                long before = System.currentTimeMillis();
                c.producer(direct).publish("kombu4j", PublishOptions.builder().routingKey("job")
                        .countdown(Duration.ofMillis(1200)).build());

                // What Celery's bind_queue_to_native_delayed_delivery_exchange and its publish do.
                Channel raw = ((AmqpTransport) c.transport()).openAmqpChannel();
                raw.queueBind(celeryQ, topic.name(), "#.task");
                raw.exchangeBind(topic.name(), DelayedDelivery.DELIVERY_EXCHANGE, "#.task");
                raw.basicPublish(DelayedDelivery.ENTRY, DelayedDelivery.routingKey(1, "task"), null,
                        "celery".getBytes(java.nio.charset.StandardCharsets.UTF_8));

                long kombuAt = 0;
                long celeryAt = 0;
                TransportMessage kombu = null;
                while ((kombuAt == 0 || celeryAt == 0) && System.currentTimeMillis() < before + 10_000) {
                    if (kombuAt == 0 && (kombu = ch.get(kombuQ, true)) != null) {
                        kombuAt = System.currentTimeMillis();
                    }
                    GetResponse g = raw.basicGet(celeryQ, true);
                    if (celeryAt == 0 && g != null) {
                        celeryAt = System.currentTimeMillis();
                    }
                    Thread.sleep(10);
                }
                raw.close();
                assertThat(kombuAt).isGreaterThanOrEqualTo(before + 1200).isLessThan(before + 1200 + 3000);
                assertThat(kombu.routingKey()).isEqualTo("job");
                assertThat(kombu.exchange()).isEqualTo(direct.name());
                assertThat(celeryAt).isGreaterThanOrEqualTo(before + 1000).isLessThan(before + 1000 + 3000);
            } finally {
                ch.deleteQueue(celeryQ);
                ch.deleteQueue(kombuQ);
                ch.deleteExchange(topic.name());
                ch.deleteExchange(direct.name());
            }
        }
    }

    /**
     * A delay shorter than {@link DelayedDelivery#DIRECT_SECONDS} waits whole in one last-hop queue, published to it
     * by name: the message arrives with its own exchange and routing key, not early, while no level queue holds it.
     */
    @Test
    void aShortDelayWaitsWholeInOneLastHop() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Exchange direct = Exchange.direct("k4jdelay." + id + ".short");
        String q = "k4jdelay." + id + ".sq";
        try (Connection c = Connection.open(LocalRabbit.url())) {
            TransportChannel ch = c.channel();
            Channel raw = ((AmqpTransport) c.transport()).openAmqpChannel();
            try {
                declareDestination(ch, direct, q);
                long due = System.currentTimeMillis() + 2500;
                c.producer(direct).publish("short", PublishOptions.builder().routingKey("job")
                        .eta(java.time.Instant.ofEpochMilli(due)).build());
                ((AmqpTransport) c.transport()).flush();
                String token = DelayedDelivery.destination(direct.name(), "job");
                long held = 0;
                for (long hold = 2050; hold <= 2500; hold += DelayedDelivery.BUCKET_MS) {
                    String name = DelayedDelivery.RETURN_QUEUE_PREFIX + DelayedDelivery.lastHop(token, hold);
                    try {
                        held += raw.queueDeclarePassive(name).getMessageCount();
                    } catch (java.io.IOException notThere) {
                        raw = ((AmqpTransport) c.transport()).openAmqpChannel();
                    }
                }
                assertThat(held).as("the message waits in a last hop of 2,050–2,500 ms").isOne();
                TransportMessage got = null;
                while (got == null && System.currentTimeMillis() < due + 5_000) {
                    got = ch.get(q, true);
                    if (got == null) {
                        Thread.sleep(5);
                    }
                }
                assertThat(got).isNotNull();
                assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(due);
                assertThat(got.exchange()).isEqualTo(direct.name());
                assertThat(got.routingKey()).isEqualTo("job");
                ((AmqpTransport) c.transport()).deleteDelayQueues(direct.name(), "job");
            } finally {
                if (raw.isOpen()) {
                    raw.close();
                }
                ch.deleteQueue(q);
                ch.deleteExchange(direct.name());
            }
        }
    }

    /**
     * A level whose exchange was deleted and declared again has lost its bindings; the next connection's first delay
     * declares the whole topology again, so its message still arrives (it was dropped silently when only
     * {@code celery_delayed_delivery}'s existence was checked).
     */
    @Test
    void aLevelThatLostItsBindingIsRepairedByTheNextConnection() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        Exchange direct = Exchange.direct("k4jdelay." + id + ".repair");
        String q = "k4jdelay." + id + ".pq";
        String level0 = DelayedDelivery.level(0);
        String level0Key = "*.".repeat(DelayedDelivery.LEVELS - 1) + "1.#";
        try (Connection setup = Connection.open(LocalRabbit.url())) {
            TransportChannel ch = setup.channel();
            declareDestination(ch, direct, q);
            // The levels exist (declared by this connection's first delay), then level 0 loses its queue binding.
            setup.producer(direct).publish("declares the levels", PublishOptions.builder().routingKey("job")
                    .countdown(Duration.ofMillis(100)).build());
            Channel raw = ((AmqpTransport) setup.transport()).openAmqpChannel();
            try {
                raw.queueUnbind(level0, level0, level0Key);
                try (Connection c = Connection.open(LocalRabbit.url())) {
                    long before = System.currentTimeMillis();
                    // Long enough to take the levels (shorter delays skip them), with bit 0 set: crosses level 0.
                    long delay = DelayedDelivery.DIRECT_SECONDS * 1000L + 1200;
                    assertThat(delay / 1000 % 2).isOne();
                    c.producer(direct).publish("through level 0", PublishOptions.builder().routingKey("job")
                            .countdown(Duration.ofMillis(delay)).build());
                    TransportMessage got = null;
                    while (System.currentTimeMillis() < before + delay + 5_000) {
                        TransportMessage m = ch.get(q, true);
                        if (m != null && new String(m.content().body(), java.nio.charset.StandardCharsets.UTF_8)
                                .contains("through level 0")) {
                            got = m;
                            break;
                        }
                        Thread.sleep(20);
                    }
                    assertThat(got).as("the delayed message crossed the repaired level 0").isNotNull();
                    assertThat(System.currentTimeMillis()).isGreaterThanOrEqualTo(before + delay);
                }
            } finally {
                raw.queueBind(level0, level0, level0Key); // leave the shared broker whole whatever happened
                raw.close();
                ch.deleteQueue(q);
                ch.deleteExchange(direct.name());
            }
        }
    }
}
