package org.kombu4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.kombu4j.serialization.JsonMode;
import org.kombu4j.testkit.python.PythonKombu;

/**
 * Typed bodies both ways with real Python Kombu, in each JSON mode, on a real broker: a record with date-times (aware,
 * offset, naive), a date, a Decimal and a UUID. What Python gets depends on its Kombu: 5.3+ turns kombu4j's type tags
 * into Python types, 5.2 leaves them as dicts, and both get strings in {@code json_mode=kombu52}. Whatever Python
 * sends (5.2's strings, 5.3+'s tags) a typed consumer reads into the record. A transport module runs it by extending
 * this class; {@code ./run-tests} runs it again against a newer Kombu ({@code *KombuInterop*Test}).
 */
public abstract class TypedKombuInterop extends KombuPeerQueue {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The record both sides exchange. */
    public record Task(String name, Instant due, OffsetDateTime created, LocalDateTime local, LocalDate day,
            BigDecimal price, UUID id, List<String> tags) {
    }

    static final Task TASK = new Task("resize", Instant.parse("2024-01-02T03:04:05.678901Z"),
            OffsetDateTime.of(2024, 1, 2, 5, 4, 5, 0, ZoneOffset.ofHours(2)), LocalDateTime.of(2024, 1, 2, 3, 4, 5),
            LocalDate.of(2024, 1, 2), new BigDecimal("1.10"), UUID.fromString("12345678-1234-5678-1234-567812345678"),
            List.of("a", "b"));

    private static String withMode(String url, JsonMode mode) {
        return url + (url.contains("?") ? "&" : "?") + JsonMode.URL_OPTION + "=" + mode.optionValue();
    }

    @Test
    @SuppressWarnings("unchecked")
    void kombu4jPublishesTheRecordInEachModeAndPythonDecodesIt() throws Exception {
        String version = PythonKombu.requireKombu();
        boolean pythonReadsTags = PythonKombu.atLeast(version, 5, 3);
        for (JsonMode mode : JsonMode.values()) {
            try (Connection c = Connection.open(withMode(url(), mode))) {
                c.producer().publish(TASK, PublishOptions.builder().routingKey(queue).header("case", "json/" + mode).build());
            }
        }
        try (Connection c = Connection.open(url())) {
            c.producer().publish(TASK, PublishOptions.builder().routingKey(queue).serializer("msgpack")
                    .header("case", "msgpack").build());
        }
        List<Map<String, Object>> got = JSON.readValue(python("consume-typed", pythonUrl(), queue, "3"), List.class);
        Map<String, Object> byCase = new LinkedHashMap<>();
        got.forEach(m -> byCase.put((String) m.get("case"), m.get("body")));
        assertThat(byCase).containsOnlyKeys("json/KOMBU53", "json/KOMBU52", "msgpack");

        // Kombu 5.2's plain strings: what Python gets in json_mode kombu52 from any Kombu, and in msgpack.
        Map<String, Object> plain = new LinkedHashMap<>();
        plain.put("name", List.of("str", "resize"));
        plain.put("due", List.of("str", "2024-01-02T03:04:05.678901Z"));
        plain.put("created", List.of("str", "2024-01-02T05:04:05+02:00"));
        plain.put("local", List.of("str", "2024-01-02T03:04:05"));
        plain.put("day", List.of("str", "2024-01-02T00:00:00"));
        plain.put("price", List.of("str", "1.10"));
        plain.put("id", List.of("str", "12345678-1234-5678-1234-567812345678"));
        plain.put("tags", List.of("list", List.of("a", "b")));
        assertThat(byCase.get("json/KOMBU52")).as("json_mode kombu52 read by Kombu %s", version).isEqualTo(plain);
        assertThat(byCase.get("msgpack")).as("msgpack read by Kombu %s", version).isEqualTo(plain);

        Map<String, Object> tagged = new LinkedHashMap<>();
        tagged.put("name", List.of("str", "resize"));
        if (pythonReadsTags) {
            tagged.put("due", List.of("datetime", "2024-01-02 03:04:05.678901+00:00"));
            tagged.put("created", List.of("datetime", "2024-01-02 05:04:05+02:00"));
            tagged.put("local", List.of("datetime", "2024-01-02 03:04:05"));
            tagged.put("day", List.of("date", "2024-01-02"));
            tagged.put("price", List.of("Decimal", "1.10"));
            tagged.put("id", List.of("UUID", "12345678-1234-5678-1234-567812345678"));
        } else {
            // Kombu 5.2 has no tags: Python code gets the dicts as they are.
            tagged.put("due", List.of("dict", tag("datetime", "2024-01-02T03:04:05.678901+00:00")));
            tagged.put("created", List.of("dict", tag("datetime", "2024-01-02T05:04:05+02:00")));
            tagged.put("local", List.of("dict", tag("datetime", "2024-01-02T03:04:05")));
            tagged.put("day", List.of("dict", tag("date", "2024-01-02")));
            tagged.put("price", List.of("dict", tag("decimal", "1.10")));
            tagged.put("id", List.of("dict", tag("uuid", Map.of("hex", "12345678123456781234567812345678"))));
        }
        tagged.put("tags", List.of("list", List.of("a", "b")));
        assertThat(byCase.get("json/KOMBU53")).as("json_mode kombu53 read by Kombu %s", version).isEqualTo(tagged);
    }

    private static Map<String, Object> tag(String type, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("__type__", type);
        m.put("__value__", value);
        return m;
    }

    @Test
    void pythonPublishesDatetimesDecimalsAndUuidsAndATypedConsumerReadsThemInEachMode() throws Exception {
        String version = PythonKombu.requireKombu();
        boolean pythonWritesTags = PythonKombu.atLeast(version, 5, 3);
        for (JsonMode mode : JsonMode.values()) {
            python("publish-typed", pythonUrl(), queue);
            List<Task> tasks = new CopyOnWriteArrayList<>();
            List<String> cases = new CopyOnWriteArrayList<>();
            List<String> bodies = new CopyOnWriteArrayList<>();
            try (Connection c = Connection.open(withMode(url(), mode))) {
                c.consumer(Queue.of(queue)).autoDeclare(false).onMessage(Task.class, (task, m) -> {
                    tasks.add(task);
                    cases.add(String.valueOf(m.headers().get("case")));
                    bodies.add(m.bodyAsString());
                    m.ack();
                }).consume();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (tasks.size() < 2 && System.nanoTime() < deadline) {
                    c.drainEvents(Duration.ofMillis(200));
                }
            }
            // A naive datetime is read as UTC where an Instant is wanted, so both arrive as the same record.
            assertThat(tasks).as("mode %s, Kombu %s", mode, version).containsExactly(TASK, TASK);
            assertThat(cases).containsExactly("aware", "naive");
            for (String body : bodies) {
                if (pythonWritesTags) {
                    assertThat(body).contains("{\"__type__\": \"decimal\", \"__value__\": \"1.10\"}");
                } else {
                    assertThat(body).doesNotContain("__type__").contains("\"price\": \"1.10\"")
                            .contains("\"due\": \"2024-01-02T03:04:05.678901");
                }
            }
        }
    }
}
