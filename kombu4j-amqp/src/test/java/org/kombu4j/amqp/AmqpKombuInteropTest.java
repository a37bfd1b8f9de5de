package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Message;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.python.PythonKombu;
import org.kombu4j.transport.TransportChannel;

/**
 * kombu4j and Python Kombu (pyamqp) on one RabbitMQ, both ways: direct, topic, fanout and headers
 * exchanges, priorities, zlib compression, headers and properties (WIRE.md §8-§10).
 */
class AmqpKombuInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private String url;
    private Connection conn;
    private Exchange direct;
    private Exchange topic;
    private Exchange fanout;
    private Exchange headers;
    private Queue qd;
    private Queue qt;
    private Queue qf;
    private Queue qh;
    private Queue qp;

    @BeforeEach
    void declare() {
        url = LocalRabbit.url();
        PythonKombu.requireModules("kombu", "amqp");
        String p = "k4jinterop." + UUID.randomUUID().toString().substring(0, 8) + ".";
        direct = Exchange.of(p + "direct", ExchangeType.DIRECT);
        topic = Exchange.of(p + "topic", ExchangeType.TOPIC);
        fanout = Exchange.of(p + "fanout", ExchangeType.FANOUT);
        headers = Exchange.of(p + "headers", ExchangeType.HEADERS);
        qd = Queue.of(p + "d", direct, "rk");
        qt = Queue.of(p + "t", topic, "a.*");
        qf = Queue.of(p + "f", fanout, "");
        qh = Queue.named(p + "h").bind(Binding.of(headers, "", Map.of("x-match", "all", "kind", "report"))).build();
        qp = Queue.named(p + "p").bind(direct, "p").maxPriority(9).build();
        conn = Connection.open(url);
        for (Queue q : List.of(qd, qt, qf, qh, qp)) {
            TransportChannel ch = conn.channel();
            for (Binding b : q.bindings()) {
                ch.declareExchange(b.exchange(), false);
            }
            ch.declareQueue(q, false);
            for (Binding b : q.bindings()) {
                ch.bind(q.name(), b);
            }
            ch.close();
        }
    }

    @AfterEach
    void cleanUp() {
        TransportChannel ch = conn.channel();
        for (Queue q : List.of(qd, qt, qf, qh, qp)) {
            ch.deleteQueue(q.name());
        }
        for (Exchange e : List.of(direct, topic, fanout, headers)) {
            ch.deleteExchange(e.name());
        }
        conn.close();
    }

    @Test
    void pythonKombuReadsWhatKombu4jSends() throws Exception {
        Producer p = conn.producer();
        p.publish(Map.of("n", 1), PublishOptions.builder().exchange(direct).routingKey("rk").header("x-trace", "abc")
                .correlationId("c1").replyTo("r1").compression("zlib").build());
        p.publish("topic text", PublishOptions.builder().exchange(topic).routingKey("a.b").build());
        p.publish(Map.of("fan", true), PublishOptions.builder().exchange(fanout).routingKey("ignored").build());
        p.publish(Map.of("h", 1), PublishOptions.builder().exchange(headers).header("kind", "report").build());
        for (int prio : List.of(1, 9, 5)) {
            p.publish(prio, PublishOptions.builder().exchange(direct).routingKey("p").priority(prio).build());
        }

        List<Map<String, Object>> got = consumeInPython(List.of(qd, qt, qf, qh), 4, 0);
        Map<String, Map<String, Object>> byExchange = new LinkedHashMap<>();
        got.forEach(m -> byExchange.put((String) m.get("exchange"), m));
        assertThat(byExchange).containsOnlyKeys(direct.name(), topic.name(), fanout.name(), headers.name());

        Map<String, Object> d = byExchange.get(direct.name());
        assertThat(d.get("body")).isEqualTo(Map.of("n", 1));
        assertThat(d.get("content_type")).isEqualTo("application/json");
        assertThat(d.get("routing_key")).isEqualTo("rk");
        assertThat(map(d.get("headers"))).containsEntry("x-trace", "abc").containsEntry("compression", "application/x-gzip");
        assertThat(map(d.get("properties"))).containsEntry("correlation_id", "c1").containsEntry("reply_to", "r1")
                .containsEntry("delivery_mode", 2).containsEntry("priority", 0);

        Map<String, Object> t = byExchange.get(topic.name());
        assertThat(t.get("body")).isEqualTo("topic text");
        assertThat(t.get("content_type")).isEqualTo("text/plain");
        assertThat(byExchange.get(fanout.name()).get("body")).isEqualTo(Map.of("fan", true));
        assertThat(byExchange.get(headers.name()).get("body")).isEqualTo(Map.of("h", 1));

        List<Map<String, Object>> prios = consumeInPython(List.of(qp), 3, 1);
        assertThat(prios).extracting(m -> m.get("body")).containsExactly(9, 5, 1);
    }

    @Test
    void kombu4jReadsWhatPythonKombuSends() throws Exception {
        List<Map<String, Object>> msgs = new ArrayList<>();
        msgs.add(Map.of("exchange", direct.name(), "routing_key", "rk", "body", Map.of("n", 2),
                "headers", Map.of("x-trace", "py", "nested", Map.of("k", List.of(1, "two", 1L << 40)), "big", -(1L << 40)),
                "correlation_id", "c2", "reply_to", "r2", "compression", "zlib"));
        msgs.add(Map.of("exchange", topic.name(), "routing_key", "a.z", "body", "py text", "serializer", "json"));
        msgs.add(Map.of("exchange", fanout.name(), "routing_key", "", "body", Map.of("fan", 2)));
        msgs.add(Map.of("exchange", headers.name(), "routing_key", "", "body", Map.of("h", 2),
                "headers", Map.of("kind", "report")));
        for (int prio : List.of(1, 9, 5)) {
            msgs.add(Map.of("exchange", direct.name(), "routing_key", "p", "body", prio, "priority", prio));
        }
        python("publish", url, Map.of("messages", msgs));

        List<Message> got = new CopyOnWriteArrayList<>();
        List<Object> bodies = new CopyOnWriteArrayList<>();
        conn.consumer(qd, qt, qf, qh).onMessage((body, m) -> {
            got.add(m);
            bodies.add(body);
            m.ack();
        }).consume();
        drainUntil(() -> got.size() == 4);
        assertThat(bodies).containsExactlyInAnyOrder(Map.of("n", 2), "py text", Map.of("fan", 2), Map.of("h", 2));
        Message d = got.stream().filter(m -> m.deliveryInfo().exchange().equals(direct.name())).findFirst().orElseThrow();
        assertThat(d.headers()).containsEntry("x-trace", "py").containsEntry("compression", "application/x-gzip")
                .containsEntry("nested", Map.of("k", List.of(1, "two", 1L << 40)))
                // py-amqp tags 64-bit integers 'L', which the Java client alone would refuse (PyAmqpFrames).
                .containsEntry("big", -(1L << 40));
        assertThat(d.correlationId()).isEqualTo("c2");
        assertThat(d.replyTo()).isEqualTo("r2");
        assertThat(d.properties()).containsEntry("delivery_mode", 2);
        assertThat(d.contentType()).isEqualTo("application/json");
        assertThat(d.deliveryInfo().routingKey()).isEqualTo("rk");

        List<Object> prios = new CopyOnWriteArrayList<>();
        conn.consumer(qp).prefetch(1).onMessage((body, m) -> {
            prios.add(body);
            m.ack();
        }).consume();
        drainUntil(() -> prios.size() == 3);
        assertThat(prios).containsExactly(9, 5, 1);
    }

    private List<Map<String, Object>> consumeInPython(List<Queue> queues, int count, int prefetch) throws Exception {
        Map<String, Object> spec = Map.of("queues", queues.stream().map(Queue::name).toList(), "count", count,
                "prefetch", prefetch, "timeout", 10);
        String out = python("consume", url, spec);
        List<Map<String, Object>> got = JSON.readValue(out, new TypeReference<>() { });
        assertThat(got).as("messages Python Kombu received").hasSize(count);
        return got;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private void drainUntil(java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            conn.drainEvents(Duration.ofMillis(100));
        }
    }

    /** Runs {@code kombu_interop.py MODE URL SPEC} with Python Kombu; returns what it printed. */
    private static String python(String mode, String url, Object spec) throws IOException {
        return PythonKombu.run(PythonKombu.script(AmqpKombuInteropTest.class, "/interop/kombu_interop.py"),
                Duration.ofSeconds(60), mode, url, JSON.writeValueAsString(spec));
    }
}
