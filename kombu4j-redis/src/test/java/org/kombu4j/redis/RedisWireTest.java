package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Message;
import org.kombu4j.NotFoundException;
import org.kombu4j.OperationalException;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.redis.internal.RedisConnection;
import org.kombu4j.redis.internal.RedisEndpoint;
import org.kombu4j.redis.internal.Resp;
import org.kombu4j.transport.TransportChannel;
import org.kombu4j.transport.TransportMessage;

/** What the transport writes into Redis, byte for byte where Kombu cares (WIRE.md), on database 15. */
class RedisWireTest {
    private static final String URL = "redis://127.0.0.1:6379/15";
    private static final String SEP = "\u0006\u0016";
    private static final ObjectMapper JSON = new ObjectMapper();
    private RedisConnection raw;
    private String id;
    private final List<Connection> open = new ArrayList<>();

    @BeforeEach
    void setUp() {
        TestRedis.require();
        raw = RedisConnection.open(new RedisEndpoint("127.0.0.1", 6379, null, null, 15, Duration.ofSeconds(2),
                Duration.ofSeconds(5)), false, null);
        id = "k4j.wire." + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void cleanUp() {
        open.forEach(Connection::close);
        for (Object k : Resp.array(Resp.array(raw.call(List.of("SCAN", "0", "MATCH", "*" + id + "*", "COUNT", "100000")))
                .get(1))) {
            raw.call(List.of("DEL", k));
        }
        for (String h : List.of("_kombu4j.exchange.types", "unacked", "_kombu4j.unacked.queues")) {
            for (Object f : Resp.array(raw.call(List.of("HKEYS", h)))) {
                raw.call(List.of("HDEL", h, f));
            }
        }
        raw.call(List.of("DEL", "unacked_index", "_kombu4j.queues", "unacked_mutex"));
        raw.close();
    }

    private Connection connect(String url) {
        Connection c = Connection.open(url);
        open.add(c);
        return c;
    }

    private String text(Object o) {
        return Resp.text(o);
    }

    @Test
    void publishWritesKombusEnvelopeWithLpush() throws Exception {
        Connection c = connect(URL);
        Queue q = Queue.of(id + ".q");
        c.producer().publish(Map.of("hello", "world"), PublishOptions.builder().routingKey(q.name()).declare(q)
                .header("x-h", 1).correlationId("c1").build());
        List<Object> items = Resp.array(raw.call(List.of("LRANGE", q.name(), "0", "-1")));
        assertThat(items).hasSize(1);
        JsonNode env = JSON.readTree((byte[]) items.get(0));
        assertThat(new String(Base64.getDecoder().decode(env.get("body").asText()), StandardCharsets.UTF_8))
                .isEqualTo("{\"hello\":\"world\"}");
        assertThat(env.get("content-type").asText()).isEqualTo("application/json");
        assertThat(env.get("content-encoding").asText()).isEqualTo("utf-8");
        assertThat(env.get("headers").get("x-h").asInt()).isEqualTo(1);
        JsonNode p = env.get("properties");
        assertThat(p.get("delivery_mode").asInt()).isEqualTo(2);
        assertThat(p.get("priority").asInt()).isZero();
        assertThat(p.get("body_encoding").asText()).isEqualTo("base64");
        assertThat(p.get("correlation_id").asText()).isEqualTo("c1");
        assertThat(UUID.fromString(p.get("delivery_tag").asText()).version()).isEqualTo(4);
        assertThat(p.get("delivery_info").get("exchange").asText()).isEmpty();
        assertThat(p.get("delivery_info").get("routing_key").asText()).isEqualTo(q.name());
    }

    @Test
    void bindingsAndPriorityKeysAreKombus() {
        Connection c = connect(URL);
        Exchange topic = Exchange.of(id + ".topic", ExchangeType.TOPIC);
        Exchange direct = Exchange.of(id + ".direct", ExchangeType.DIRECT);
        Queue qt = Queue.of(id + ".qt", topic, "a.*");
        Queue qd = Queue.of(id + ".qd", direct, "rk1");
        c.producer(direct).publish("x", PublishOptions.builder().routingKey("none").declare(qt).declare(qd).build());
        assertThat(Resp.array(raw.call(List.of("SMEMBERS", "_kombu.binding." + topic.name()))).stream().map(this::text))
                .containsExactly("a.*" + SEP + "^a\\..*?[^\\.]$" + SEP + qt.name());
        assertThat(Resp.array(raw.call(List.of("SMEMBERS", "_kombu.binding." + direct.name()))).stream().map(this::text))
                .containsExactly("rk1" + SEP + SEP + qd.name());
        assertThat(text(raw.call(List.of("HGET", "_kombu4j.exchange.types", topic.name())))).isEqualTo("topic");
        for (int prio : List.of(0, 2, 3, 5, 9, 10)) {
            c.producer(direct).publish(prio, PublishOptions.builder().routingKey("rk1").priority(prio).build());
        }
        assertThat(raw.call(List.of("LLEN", qd.name()))).isEqualTo(2L);
        assertThat(raw.call(List.of("LLEN", qd.name() + SEP + "3"))).isEqualTo(2L);
        assertThat(raw.call(List.of("LLEN", qd.name() + SEP + "9"))).isEqualTo(2L);
    }

    @Test
    void directRoutingMatchesRoutingKeysWithGlobCharactersExactly() {
        // The publish script finds direct bindings with SSCAN MATCH: metacharacters in a key must not widen the match.
        Connection c = connect(URL);
        Exchange direct = Exchange.of(id + ".direct", ExchangeType.DIRECT);
        List<String> rks = List.of("a*b", "axb", "a?b", "[ab]", "a", "a\\b", "ab");
        List<Queue> qs = new ArrayList<>();
        PublishOptions.Builder decl = PublishOptions.builder().routingKey("nothing");
        for (int i = 0; i < rks.size(); i++) {
            Queue q = Queue.of(id + ".g" + i, direct, rks.get(i));
            qs.add(q);
            decl.declare(q);
        }
        c.producer(direct).publish("x", decl.build());
        for (int i = 0; i < rks.size(); i++) {
            c.producer(direct).publish(i, PublishOptions.builder().routingKey(rks.get(i)).build());
        }
        for (int i = 0; i < rks.size(); i++) {
            assertThat(raw.call(List.of("LLEN", qs.get(i).name()))).as("queue for %s", rks.get(i)).isEqualTo(1L);
        }
    }

    @Test
    void anExchangeTypeDeclaredElsewhereRoutesTheSameInEveryProcess() {
        Connection a = connect(URL);
        Exchange topic = Exchange.of(id + ".topic", ExchangeType.TOPIC);
        Queue q = Queue.of(id + ".q", topic, "order.#");
        a.channel().declareExchange(topic, false);
        a.channel().declareQueue(q, false);
        a.channel().bind(q.name(), q.bindings().get(0));
        Connection b = connect(URL); // never declares the exchange (Kombu would route it as direct, §12.1)
        b.channel().publish(new org.kombu4j.transport.OutgoingMessage(topic.name(), "order.created.eu",
                new org.kombu4j.transport.RawMessage("x".getBytes(StandardCharsets.UTF_8), "text/plain", "utf-8", Map.of(), Map.of()),
                false));
        assertThat(raw.call(List.of("LLEN", q.name()))).isEqualTo(1L);
    }

    @Test
    void deliveriesAreRecordedAtomicallyAndAckRemovesTheRecords() throws Exception {
        Connection c = connect(URL);
        Exchange ex = Exchange.of(id + ".ex", ExchangeType.DIRECT);
        Queue q = Queue.of(id + ".q", ex, "rk");
        c.producer(ex).publish("m", PublishOptions.builder().routingKey("rk").declare(q).build());
        List<Message> got = new CopyOnWriteArrayList<>();
        c.consumer(q).onMessage((body, m) -> got.add(m)).consume();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got.isEmpty() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(100));
        }
        assertThat(got).hasSize(1);
        String tag = String.valueOf(got.get(0).properties().get("delivery_tag"));
        List<Object> fields = Resp.array(raw.call(List.of("HKEYS", "unacked")));
        assertThat(fields).hasSize(1);
        tag = text(fields.get(0));
        JsonNode rec = JSON.readTree((byte[]) raw.call(List.of("HGET", "unacked", tag)));
        assertThat(rec.isArray()).isTrue();
        assertThat(rec.get(0).get("properties").get("delivery_tag").asText()).isEqualTo(tag);
        assertThat(rec.get(1).asText()).isEqualTo(ex.name());
        assertThat(rec.get(2).asText()).isEqualTo("rk");
        double score = Double.parseDouble(text(raw.call(List.of("ZSCORE", "unacked_index", tag))));
        assertThat(score).isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(10.0));
        assertThat(text(raw.call(List.of("HGET", "_kombu4j.unacked.queues", tag)))).isEqualTo(q.name());
        got.get(0).ack();
        assertThat(raw.call(List.of("HLEN", "unacked"))).isEqualTo(0L);
        assertThat(raw.call(List.of("ZCARD", "unacked_index"))).isEqualTo(0L);
        assertThat(raw.call(List.of("HLEN", "_kombu4j.unacked.queues"))).isEqualTo(0L);
    }

    /**
     * The pop script reads tag, exchange and routing key as text when the envelope is plain, and decodes
     * JSON otherwise: every shape must give the same records (Python's restore reads them).
     */
    @Test
    void unackedRecordsAreRightForEveryEnvelopeShape() throws Exception {
        Connection c = connect(URL);
        Queue q = Queue.of(id + ".shapes");
        String body = "\"body\": \"eA==\", \"content-encoding\": \"utf-8\", \"content-type\": \"text/plain\"";
        List<String> envelopes = List.of(
                // Python's spacing
                "{" + body + ", \"headers\": {}, \"properties\": {\"delivery_mode\": 2, \"delivery_info\": {\"exchange\": \"ex1\", "
                        + "\"routing_key\": \"rk1\"}, \"priority\": 0, \"body_encoding\": \"base64\", \"delivery_tag\": \"tag-a\"}}",
                // Jackson's compact form, raw UTF-8 in the exchange name
                "{" + body.replace(": ", ":") + ",\"headers\":{},\"properties\":{\"delivery_info\":{\"exchange\":\"ex\u00e9\","
                        + "\"routing_key\":\"rk2\"},\"body_encoding\":\"base64\",\"delivery_tag\":\"tag-b\"}}",
                // an escaped quote in the exchange name
                "{" + body + ", \"headers\": {}, \"properties\": {\"delivery_info\": {\"exchange\": \"ex\\\"q\", "
                        + "\"routing_key\": \"rk3\"}, \"body_encoding\": \"base64\", \"delivery_tag\": \"tag-c\"}}",
                // a header named like a delivery_info field
                "{" + body + ", \"headers\": {\"exchange\": \"decoy\"}, \"properties\": {\"delivery_info\": {\"exchange\": \"ex4\", "
                        + "\"routing_key\": \"rk4\"}, \"body_encoding\": \"base64\", \"delivery_tag\": \"tag-d\"}}",
                // the same tag twice (one message routed to two queues, say)
                "{" + body + ", \"headers\": {}, \"properties\": {\"delivery_info\": {\"exchange\": \"ex5\", "
                        + "\"routing_key\": \"rk5\"}, \"body_encoding\": \"base64\", \"delivery_tag\": \"tag-dup\"}}",
                "{" + body + ", \"headers\": {}, \"properties\": {\"delivery_info\": {\"exchange\": \"ex6\", "
                        + "\"routing_key\": \"rk6\"}, \"body_encoding\": \"base64\", \"delivery_tag\": \"tag-dup\"}}",
                // no tag at all
                "{" + body + ", \"headers\": {}, \"properties\": {\"delivery_info\": {\"exchange\": \"ex7\", "
                        + "\"routing_key\": \"rk7\"}, \"body_encoding\": \"base64\"}}");
        for (String e : envelopes) {
            raw.call(List.of("LPUSH", q.name(), e.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        List<Message> got = new CopyOnWriteArrayList<>();
        c.consumer(q).prefetch(10).onMessage((b, m) -> got.add(m)).consume();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got.size() < envelopes.size() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(100));
        }
        assertThat(got).hasSize(envelopes.size());
        java.util.Map<String, List<String>> records = new java.util.TreeMap<>();
        List<Object> all = Resp.array(raw.call(List.of("HGETALL", "unacked")));
        for (int i = 0; i < all.size(); i += 2) {
            JsonNode rec = JSON.readTree((byte[]) all.get(i + 1));
            records.put(text(all.get(i)), List.of(rec.get(1).asText(), rec.get(2).asText()));
        }
        assertThat(records).containsEntry("tag-a", List.of("ex1", "rk1"))
                .containsEntry("tag-b", List.of("ex\u00e9", "rk2"))
                .containsEntry("tag-c", List.of("ex\"q", "rk3"))
                .containsEntry("tag-d", List.of("ex4", "rk4"))
                .containsEntry("tag-dup", List.of("ex5", "rk5"))
                .containsEntry("tag-dup.1", List.of("ex6", "rk6"))
                .hasSize(7);
        assertThat(records.keySet()).anyMatch(k -> k.startsWith("k4j-"));
        assertThat(raw.call(List.of("ZCARD", "unacked_index"))).isEqualTo(7L);
        for (Message m : got) {
            m.ack();
        }
        assertThat(raw.call(List.of("HLEN", "unacked"))).isEqualTo(0L);
        assertThat(raw.call(List.of("ZCARD", "unacked_index"))).isEqualTo(0L);
    }

    @Test
    void aDeadConsumersMessagesComeBackAfterTheVisibilityTimeoutExactlyOnce() {
        Connection dead = connect(URL + "?lease_timeout=0"); // alive, but renews nothing: as good as dead
        Queue q = Queue.of(id + ".q");
        dead.producer().publish("held", PublishOptions.builder().routingKey(q.name()).declare(q).build());
        TransportMessage held = dead.channel().get(q.name(), false); // taken, never acked: its owner "dies"
        assertThat(held).isNotNull();
        assertThat(raw.call(List.of("LLEN", q.name()))).isEqualTo(0L);
        Connection alive = connect(URL + "?visibility_timeout=1&unacked_restore_interval=0.2");
        List<Message> got = new CopyOnWriteArrayList<>();
        alive.consumer(q).onMessage((body, m) -> {
            got.add(m);
            m.ack();
        }).consume();
        long deadline = System.nanoTime() + 8_000_000_000L;
        while (got.isEmpty() && System.nanoTime() < deadline) {
            alive.drainEvents(Duration.ofMillis(100));
        }
        assertThat(got).hasSize(1);
        assertThat(got.get(0).isRedelivered()).isTrue();
        assertThat(got.get(0).bodyAsString()).isEqualTo("held");
        dead.close(); // its restore finds the record gone: no duplicate
        alive.drainEvents(Duration.ofMillis(300));
        assertThat(got).hasSize(1);
        assertThat(raw.call(List.of("LLEN", q.name()))).isEqualTo(0L);
    }

    @Test
    void recordsWrittenByPythonAreRestoredThroughTheBindings() throws Exception {
        Connection c = connect(URL);
        Exchange ex = Exchange.of(id + ".ex", ExchangeType.DIRECT);
        Queue q = Queue.of(id + ".q", ex, "rk");
        c.producer(ex).publish("py", PublishOptions.builder().routingKey("rk").declare(q).build());
        byte[] env = (byte[]) raw.call(List.of("RPOP", q.name()));
        String tag = JSON.readTree(env).get("properties").get("delivery_tag").asText();
        String record = "[" + new String(env, StandardCharsets.UTF_8) + ", \"" + ex.name() + "\", \"rk\"]";
        raw.call(List.of("HSET", "unacked", tag, record));
        raw.call(List.of("ZADD", "unacked_index", "1000", tag));
        RedisTransport t = (RedisTransport) c.transport();
        assertThat(t.restorer().restoreVisible()).isEqualTo(1);
        JsonNode back = JSON.readTree((byte[]) raw.call(List.of("LINDEX", q.name(), "0")));
        assertThat(back.get("headers").get("redelivered").asBoolean()).isTrue();
        assertThat(back.get("properties").get("delivery_info").get("redelivered").asBoolean()).isTrue();
        assertThat(raw.call(List.of("HLEN", "unacked"))).isEqualTo(0L);
        raw.call(List.of("HSET", "_kombu4j.unacked.queues", id + ".restored-by-python", q.name()));
        t.restorer().restoreVisible();
        assertThat(raw.call(List.of("HLEN", "_kombu4j.unacked.queues"))).isEqualTo(0L);
    }

    @Test
    void globalKeyprefixCoversEveryKeyIncludingExistenceChecks() {
        Connection c = connect(URL + "?global_keyprefix=" + id + ":");
        Exchange ex = Exchange.of("ex", ExchangeType.DIRECT);
        Queue q = Queue.of("q1", ex, "rk");
        c.producer(ex).publish("m", PublishOptions.builder().routingKey("rk").declare(q).build());
        assertThat(raw.call(List.of("LLEN", id + ":q1"))).isEqualTo(1L);
        assertThat(raw.call(List.of("SCARD", id + ":_kombu.binding.ex"))).isEqualTo(1L);
        assertThat(raw.call(List.of("EXISTS", "q1"))).isEqualTo(0L);
        TransportChannel ch = c.channel();
        raw.call(List.of("SREM", id + ":_kombu4j.queues", "q1")); // exists through its list alone now
        assertThat(ch.declareQueue(Queue.of("q1"), true).messageCount()).isEqualTo(1);
        assertThat(ch.get("q1", true)).isNotNull();
        c.channel().deleteExchange("ex");
        c.channel().deleteQueue("q1");
        raw.call(List.of("HDEL", id + ":_kombu4j.exchange.types", "ex"));
        raw.call(List.of("DEL", id + ":_kombu4j.exchange.types", id + ":_kombu4j.queues"));
    }

    @Test
    void aQueueKnownOnlyByItsBindingExists() {
        Connection c = connect(URL);
        raw.call(List.of("SADD", "_kombu.binding." + id + ".ex", "rk" + SEP + SEP + id + ".pyq"));
        assertThat(c.channel().declareQueue(Queue.of(id + ".pyq"), true).name()).isEqualTo(id + ".pyq");
        assertThatThrownBy(() -> c.channel().declareQueue(Queue.of(id + ".nope"), true)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining(id + ".nope");
    }

    @Test
    void deletingAQueueRemovesExactlyItsBindingRows() {
        Connection c = connect(URL);
        String set = "_kombu.binding." + id + ".ex";
        // Glob characters in names, and names that end the same way: only rows whose queue is exactly
        // the deleted one may go.
        String gone = id + ".q*[1]";
        List<String> kept = List.of("rk" + SEP + SEP + "x" + gone, "rk" + SEP + SEP + id + ".q1", "rk" + SEP + SEP + id + ".qa[1]",
                "rk" + SEP + "p" + SEP + id + ".other");
        raw.call(List.of("SADD", set, "rk" + SEP + SEP + gone, "rk2" + SEP + SEP + gone));
        for (String m : kept) {
            raw.call(List.of("SADD", set, m));
        }
        assertThat(c.channel().declareQueue(Queue.of(gone), true).name()).isEqualTo(gone);
        c.channel().deleteQueue(gone);
        assertThat(Resp.array(raw.call(List.of("SMEMBERS", set))).stream().map(this::text)).containsExactlyInAnyOrderElementsOf(kept);
        assertThatThrownBy(() -> c.channel().declareQueue(Queue.of(gone), true)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void urlOptionsAreCheckedByName() {
        assertThatThrownBy(() -> Connection.open(URL + "?visibility_timeot=5").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("visibility_timeot");
        // TLS against the plaintext port: a clear error within the connect timeout (RedisTlsTest covers TLS).
        assertThatThrownBy(() -> Connection.open("rediss://127.0.0.1:6379/15?socket_connect_timeout=1").connect())
                .isInstanceOf(OperationalException.class).hasMessageContaining("TLS port");
        assertThatThrownBy(() -> Connection.open("redis://127.0.0.1:6379/abc").connect())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("database");
        RedisOptions o = RedisOptions.from(org.kombu4j.BrokerUrl.parse(
                "redis://h/1?priority_steps=0,5&sep=:&fanout_prefix=false&visibility_timeout=2.5"));
        assertThat(o.prioritySteps()).containsExactly(0, 5);
        assertThat(o.stepFor(4)).isZero();
        assertThat(o.stepFor(7)).isEqualTo(5);
        assertThat(o.sep()).isEqualTo(":");
        assertThat(o.visibilityTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(new Keys(o, 1).fanoutChannel("ex")).isEqualTo("ex");
        assertThat(new Keys(RedisOptions.from(org.kombu4j.BrokerUrl.parse("redis://h/3")), 3).fanoutChannel("ex"))
                .isEqualTo("/3.ex");
    }

    @Test
    void kombuTopicRegexMatchesPythons() {
        assertThat(Keys.kombuTopicRegex("a.*")).isEqualTo("^a\\..*?[^\\.]$");
        assertThat(Keys.kombuTopicRegex("usd.#.x")).isEqualTo("^usd\\..*?\\.x$");
        assertThat(Keys.kombuTopicRegex("my_key-1.#")).isEqualTo("^my\\_key\\-1\\..*?$");
    }
}
