package org.kombu4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;

/**
 * Every serializer × compressor that both kombu4j and real Python Kombu have, both ways, on a real
 * broker: Python publishes and kombu4j decodes, kombu4j publishes and Python decodes. A transport
 * module runs it by extending this class. Needs {@code /usr/bin/python3} with Debian's
 * {@code python3-kombu}; without it the tests are skipped, or fail when {@code CI=true}.
 */
public abstract class KombuInteropMatrix extends KombuPeerQueue {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Object> DOC = doc();
    private static final String TEXT = "hello ü";
    private static final byte[] RAW = {0, 1, (byte) 0xff, 'r', 'a', 'w'};

    private static Map<String, Object> doc() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", List.of(1, 2, 3));
        m.put("s", "kombu ü");
        m.put("n", null);
        m.put("f", 1.5);
        m.put("t", true);
        return m;
    }

    @Test
    @SuppressWarnings("unchecked")
    void pythonPublishesEveryCaseAndKombu4jDecodesIt() throws Exception {
        Map<String, Object> summary = JSON.readValue(python("publish", pythonUrl(), queue), Map.class);
        int published = (Integer) summary.get("published");
        assertThat(published).isGreaterThanOrEqualTo(5 * 4); // zlib, bzip2 and lzma at least
        Map<String, Object> got = new LinkedHashMap<>();
        try (Connection c = Connection.open(url())) {
            c.consumer(Queue.of(queue)).autoDeclare(false).onMessage((body, m) -> {
                got.put(String.valueOf(m.headers().get("case")), body);
                m.ack();
            }).consume();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (got.size() < published && System.nanoTime() < deadline) {
                c.drainEvents(Duration.ofMillis(200));
            }
        }
        assertThat(got).hasSize(published);
        got.forEach((k, body) -> {
            String ser = k.substring(0, k.indexOf('/'));
            switch (ser) {
                case "text" -> assertThat(body).as(k).isEqualTo(TEXT);
                case "raw" -> assertThat((byte[]) body).as(k).isEqualTo(RAW);
                default -> assertThat(body).as(k).isEqualTo(DOC);
            }
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void kombu4jPublishesEveryCaseAndPythonDecodesIt() throws Exception {
        List<String> cases = new ArrayList<>();
        try (Connection c = Connection.open(url())) {
            Producer p = c.producer();
            List<String> compressions = new ArrayList<>(List.of("none"));
            compressions.addAll(c.compressors().names());
            for (String ser : List.of("json", "msgpack", "yaml", "text", "raw")) {
                for (String comp : compressions) {
                    String key = ser + "/" + comp;
                    PublishOptions.Builder o = PublishOptions.builder().routingKey(queue).header("case", key);
                    if (!comp.equals("none")) {
                        o.compression(comp);
                    }
                    Object body;
                    if (ser.equals("text")) {
                        body = TEXT;
                        o.serializer("text");
                    } else if (ser.equals("raw")) {
                        body = RAW;
                        o.serializer("raw");
                    } else {
                        body = DOC;
                        o.serializer(ser);
                    }
                    p.publish(body, o.build());
                    cases.add(key);
                }
            }
        }
        List<Map<String, Object>> got = JSON.readValue(python("consume", pythonUrl(), queue, String.valueOf(cases.size())),
                List.class);
        assertThat(got).extracting(m -> m.get("case")).containsExactlyInAnyOrderElementsOf(cases);
        for (Map<String, Object> m : got) {
            String k = (String) m.get("case");
            String ser = k.substring(0, k.indexOf('/'));
            Object body = m.get("body");
            switch (ser) {
                case "text" -> assertThat(body).as(k).isEqualTo(TEXT);
                case "raw" -> assertThat(Base64.getDecoder().decode((String) ((Map<String, Object>) body).get("__bytes__")))
                        .as(k).isEqualTo(RAW);
                default -> assertThat(body).as(k).isEqualTo(DOC);
            }
        }
    }

}
