package org.kombu4j;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.kombu4j.serialization.JsonMode;

/** Typed consumption, POJO publishing, a pluggable ObjectMapper and the JSON modes, end to end on {@code memory://}. */
class TypedMessagesTest {
    record Task(String name, Instant due, OffsetDateTime created, LocalDateTime local, LocalDate day, BigDecimal price,
            UUID id, List<String> tags) {
    }

    /** A JavaBean, as Jackson writes and reads them. */
    public static final class Bean {
        private String orderId;
        private int quantity;

        public String getOrderId() {
            return orderId;
        }

        public void setOrderId(String orderId) {
            this.orderId = orderId;
        }

        public int getQuantity() {
            return quantity;
        }

        public void setQuantity(int quantity) {
            this.quantity = quantity;
        }
    }

    private static final Task TASK = new Task("resize", Instant.parse("2024-01-02T03:04:05.678901Z"),
            OffsetDateTime.of(2024, 1, 2, 5, 4, 5, 0, ZoneOffset.ofHours(2)), LocalDateTime.of(2024, 1, 2, 3, 4, 5),
            LocalDate.of(2024, 1, 2), new BigDecimal("1.10"), UUID.fromString("12345678-1234-5678-1234-567812345678"),
            List.of("a", "b"));

    private final List<Connection> open = new ArrayList<>();

    private Connection connect(Connection.Builder b) {
        Connection c = b.build();
        open.add(c);
        return c;
    }

    @org.junit.jupiter.api.AfterEach
    void closeAll() {
        open.forEach(Connection::close);
    }

    private static String vhost() {
        return "memory://typed/" + UUID.randomUUID();
    }

    private static void drainUntil(Connection c, BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            c.drainEvents(Duration.ofMillis(50));
        }
        assertThat(done.getAsBoolean()).as("condition reached within 5 s").isTrue();
    }

    /** Publishes {@code body} and returns the message as a raw consumer sees it. */
    private static Message roundTrip(Connection c, Object body, PublishOptions.Builder options) {
        Queue q = Queue.of("q." + UUID.randomUUID());
        List<Message> got = new CopyOnWriteArrayList<>();
        try (Consumer consumer = c.consumer(q).onRawMessage(got::add).consume()) {
            c.producer().publish(body, options.routingKey(q.name()).build());
            drainUntil(c, () -> !got.isEmpty());
        }
        return got.get(0);
    }

    @Test
    void aRecordIsPublishedAndConsumedTypedInEachJsonMode() {
        for (JsonMode mode : JsonMode.values()) {
            Connection c = connect(Connection.builder(vhost()).jsonMode(mode));
            Queue q = Queue.of("tasks." + UUID.randomUUID());
            List<Task> got = new CopyOnWriteArrayList<>();
            c.consumer(q).onMessage(Task.class, (task, message) -> {
                got.add(task);
                message.ack();
            }).consume();
            c.producer().publish(TASK, q.name());
            drainUntil(c, () -> !got.isEmpty());
            assertThat(got).as(mode.name()).containsExactly(TASK);
        }
    }

    @Test
    void kombu53ModeWritesTypeTagsAndKombu52ModeWritesPythonsPlainStrings() {
        Connection tags = connect(Connection.builder(vhost()));
        String tagged = roundTrip(tags, TASK, PublishOptions.builder()).bodyAsString();
        assertThat(tagged).contains("\"due\":{\"__type__\":\"datetime\",\"__value__\":\"2024-01-02T03:04:05.678901+00:00\"}")
                .contains("\"created\":{\"__type__\":\"datetime\",\"__value__\":\"2024-01-02T05:04:05+02:00\"}")
                .contains("\"local\":{\"__type__\":\"datetime\",\"__value__\":\"2024-01-02T03:04:05\"}")
                .contains("\"day\":{\"__type__\":\"date\",\"__value__\":\"2024-01-02\"}")
                .contains("\"price\":{\"__type__\":\"decimal\",\"__value__\":\"1.10\"}")
                .contains("\"id\":{\"__type__\":\"uuid\",\"__value__\":{\"hex\":\"12345678123456781234567812345678\"}}");

        Connection plain = connect(Connection.builder(vhost() + "?json_mode=kombu52"));
        assertThat(plain.serializers().jsonMode()).isEqualTo(JsonMode.KOMBU52);
        String text = roundTrip(plain, TASK, PublishOptions.builder()).bodyAsString();
        // What Kombu 5.2's JSONEncoder writes for the same Python values (UTC as Z, a date as its midnight).
        assertThat(text).isEqualTo("{\"name\":\"resize\",\"due\":\"2024-01-02T03:04:05.678901Z\","
                + "\"created\":\"2024-01-02T05:04:05+02:00\",\"local\":\"2024-01-02T03:04:05\","
                + "\"day\":\"2024-01-02T00:00:00\",\"price\":\"1.10\",\"id\":\"12345678-1234-5678-1234-567812345678\","
                + "\"tags\":[\"a\",\"b\"]}");
        assertThatThrownBy(() -> plain.producer().publish(Map.of("b", new byte[] {1}), "nowhere"))
                .isInstanceOf(EncodeException.class).hasMessageContaining("json_mode kombu52");
    }

    @Test
    void plainStringsAsPythonWritesThemDecodeIntoTypedFields() {
        Connection c = connect(Connection.builder(vhost()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "resize");
        body.put("due", "2024-01-02T03:04:05.678901"); // a naive datetime: UTC
        body.put("created", "2024-01-02T05:04:05+02:00");
        body.put("local", "2024-01-02T03:04:05Z");
        body.put("day", "2024-01-02T00:00:00");
        body.put("price", "1.10");
        body.put("id", "12345678123456781234567812345678");
        body.put("tags", List.of("a", "b"));
        Message m = roundTrip(c, body, PublishOptions.builder());
        assertThat(m.decode(Task.class)).isEqualTo(TASK);
        assertThat(m.decode(new TypeReference<Map<String, Object>>() { })).containsEntry("price", "1.10");
        Map<String, Object> numeric = new LinkedHashMap<>(body);
        numeric.put("price", 1.10);
        assertThat(roundTrip(c, numeric, PublishOptions.builder()).decode(Task.class).price()).isEqualTo("1.1");
    }

    @Test
    void genericTypesAndBeansAndMsgpack() {
        Connection c = connect(Connection.builder(vhost()));
        Message list = roundTrip(c, List.of(TASK, TASK), PublishOptions.builder());
        assertThat(list.decode(new TypeReference<List<Task>>() { })).containsExactly(TASK, TASK);
        assertThat(list.decode(List.class)).hasSize(2);

        Bean bean = new Bean();
        bean.setOrderId("o-1");
        bean.setQuantity(3);
        Message b = roundTrip(c, bean, PublishOptions.builder());
        assertThat(b.bodyAsString()).isEqualTo("{\"orderId\":\"o-1\",\"quantity\":3}");
        assertThat(b.decode(Bean.class)).usingRecursiveComparison().isEqualTo(bean);

        Message mp = roundTrip(c, TASK, PublishOptions.builder().serializer("msgpack"));
        assertThat(mp.contentType()).isEqualTo("application/x-msgpack");
        // msgpack has no dates, decimals or UUIDs: Python's msgpack gets strings, and typed readers read them back.
        Map<?, ?> raw = (Map<?, ?>) mp.decode();
        assertThat(raw.get("due")).isEqualTo("2024-01-02T03:04:05.678901Z");
        assertThat(raw.get("price")).isEqualTo("1.10");
        assertThat(raw.get("id")).isEqualTo("12345678-1234-5678-1234-567812345678");
        assertThat(mp.decode(Task.class)).isEqualTo(TASK);
        Message mb = roundTrip(c, bean, PublishOptions.builder().serializer("msgpack"));
        assertThat(mb.decode(Map.class)).isEqualTo(Map.of("orderId", "o-1", "quantity", 3));
        assertThat(mb.decode(Bean.class)).usingRecursiveComparison().isEqualTo(bean);
    }

    @Test
    void aBodyThatDoesNotFitTheClassGoesToTheDecodeErrorHandler() {
        Connection c = connect(Connection.builder(vhost()));
        Queue q = Queue.of("tasks." + UUID.randomUUID());
        List<Task> handled = new CopyOnWriteArrayList<>();
        List<DecodeException> errors = new CopyOnWriteArrayList<>();
        c.consumer(q).onMessage(Task.class, (task, m) -> {
            handled.add(task);
            m.ack();
        }).onDecodeError((m, e) -> {
            errors.add(e);
            m.reject(false);
        }).consume();
        c.producer().publish(Map.of("name", "x", "due", "not a date"), q.name());
        c.producer().publish(List.of(1, 2), q.name());
        c.producer().publish(Map.of("name", "x", "price", Map.of("k", 1)), q.name());
        c.producer().publish(TASK, q.name());
        drainUntil(c, () -> handled.size() == 1 && errors.size() == 3);
        assertThat(handled).containsExactly(TASK);
        assertThat(errors.get(0)).hasMessageContaining("cannot decode the body as " + Task.class.getName())
                .hasMessageContaining("not a date");
        assertThat(errors.get(1)).hasMessageContaining(Task.class.getName());
        assertThat(errors.get(2)).hasMessageContaining("BigDecimal");
    }

    @Test
    void theDefaultDecodeErrorPolicyKeepsAnUnfittingBodyUnacknowledged() {
        Connection c = connect(Connection.builder(vhost()));
        Queue q = Queue.of("tasks." + UUID.randomUUID());
        List<Task> handled = new CopyOnWriteArrayList<>();
        Consumer consumer = c.consumer(q).onMessage(Task.class, (task, m) -> {
            handled.add(task);
            m.ack();
        }).consume();
        c.producer().publish("just text", q.name());
        c.producer().publish(TASK, q.name());
        drainUntil(c, () -> handled.size() == 1);
        consumer.close();
        // The text body went back to its queue, not to the handler and not to the void.
        Message back = c.simpleQueue(q.name()).get(Duration.ofSeconds(2));
        assertThat(back.decode()).isEqualTo("just text");
        assertThat(back.isRedelivered()).isTrue();
        back.ack();
    }

    @Test
    void theApplicationsObjectMapperIsUsedForEncodeAndTypedDecodeAndNotChanged() {
        ObjectMapper mine = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
        Connection c = connect(Connection.builder(vhost()).objectMapper(mine));
        Bean bean = new Bean();
        bean.setOrderId("o-2");
        bean.setQuantity(5);
        Message m = roundTrip(c, bean, PublishOptions.builder());
        assertThat(m.bodyAsString()).isEqualTo("{\"order_id\":\"o-2\",\"quantity\":5}");
        assertThat(m.decode(Bean.class)).usingRecursiveComparison().isEqualTo(bean);
        // Kombu's forms go on top of the application's mapper, not into it.
        assertThat(new String(roundTrip(c, Map.of("due", TASK.due()), PublishOptions.builder()).body(), UTF_8))
                .isEqualTo("{\"due\":{\"__type__\":\"datetime\",\"__value__\":\"2024-01-02T03:04:05.678901+00:00\"}}");
        assertThat(mine.getRegisteredModuleIds()).isEmpty();
        // Plain maps still come out as Python's json writes them through the application's mapper.
        assertThat(roundTrip(c, Map.of("x", Double.NaN), PublishOptions.builder()).bodyAsString()).isEqualTo("{\"x\":NaN}");
    }

    @Test
    void jsonModeAndMapperSettingsAreCheckedAtBuild() {
        assertThatThrownBy(() -> Connection.builder("memory://?json_mode=kombu51").build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown json_mode 'kombu51'");
        assertThatThrownBy(() -> Connection.builder("memory://?json_mode=kombu52").jsonMode(JsonMode.KOMBU53).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("json_mode=kombu52");
        assertThatThrownBy(() -> Connection.builder("memory://a?json_mode=kombu52;memory://b?json_mode=kombu53").build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("disagree");
        assertThatThrownBy(() -> Connection.builder("memory://").objectMapper(new YAMLMapper()).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("must be a JSON mapper");
        assertThatThrownBy(() -> Connection.builder("memory://").serializers(
                org.kombu4j.serialization.Serializers.defaults()).jsonMode(JsonMode.KOMBU52).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("Serializers.defaults(mapper, mode)");
        assertThat(connect(Connection.builder("memory://?json_mode=PLAIN")).serializers().jsonMode())
                .isEqualTo(JsonMode.KOMBU52);
        assertThat(connect(Connection.builder("memory://")).serializers().jsonMode()).isEqualTo(JsonMode.KOMBU53);
    }
}
