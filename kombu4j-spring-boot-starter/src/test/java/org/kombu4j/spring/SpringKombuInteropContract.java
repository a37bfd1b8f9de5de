package org.kombu4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.Queue;
import org.kombu4j.spring.sample.SampleApplication;
import org.kombu4j.spring.sample.SampleApplication.Order;
import org.kombu4j.testkit.python.PythonKombu;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The sample application, started by Spring Boot's test support against a real broker: its {@code @KombuListener}
 * method receives, as records, what real Python Kombu (the system's, 5.2) published, acknowledges them, and the
 * health indicator reports UP. Subclasses name the broker.
 */
@SpringBootTest(classes = {SampleApplication.class, SpringKombuInteropContract.Cleanup.class},
        webEnvironment = SpringBootTest.WebEnvironment.NONE)
@DirtiesContext
abstract class SpringKombuInteropContract {
    static final String QUEUE = TestBrokers.unique("orders");
    static final String EXCHANGE = TestBrokers.unique("shop");

    private static final String PUBLISHER = """
            import sys
            from decimal import Decimal
            from kombu import Connection, Exchange, Queue
            url, exchange, queue, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
            ex = Exchange(exchange, type='direct')
            q = Queue(queue, ex, routing_key='order.created')
            with Connection(url) as conn:
                producer = conn.Producer(serializer='json')
                for i in range(n):
                    producer.publish({'id': i, 'item': 'book-%d' % i, 'tags': ['paper', 'py'], 'price': 9.5 + i,
                                      'ignored': True},
                                     exchange=ex, routing_key='order.created', declare=[q])
            print('published', n)
            """;

    @Autowired
    SampleApplication.OrderListener listener;
    @Autowired
    KombuHealthIndicator health;
    @Autowired
    KombuListenerContainers containers;

    abstract String url();

    @Test
    void sampleApplicationConsumesWhatPythonKombuPublishedAcknowledgesAndReportsHealth() throws Exception {
        PythonKombu.requireModules("kombu", url().startsWith("redis") ? "redis" : "amqp");
        int n = 25;
        String out = PythonKombu.runCode(PUBLISHER, Duration.ofSeconds(60), url(), EXCHANGE, QUEUE, String.valueOf(n));
        assertThat(out).contains("published " + n);

        List<Order> got = new ArrayList<>();
        while (got.size() < n) {
            Order o = listener.received.poll(20, TimeUnit.SECONDS);
            assertThat(o).as("order %d of %d from Python", got.size() + 1, n).isNotNull();
            got.add(o);
        }
        got.sort(Comparator.comparingInt(Order::id));
        for (int i = 0; i < n; i++) {
            Order o = got.get(i);
            assertThat(o.id()).isEqualTo(i);
            assertThat(o.item()).isEqualTo("book-" + i);
            assertThat(o.tags()).containsExactly("paper", "py");
            assertThat(o.price()).isEqualByComparingTo(String.valueOf(9.5 + i));
        }
        assertThat(listener.unsettled).hasSize(n).containsOnly(true);

        Health h = health.health();
        assertThat(h.getStatus()).isEqualTo(Status.UP);
        assertThat(h.getDetails().get("url").toString()).startsWith(url().substring(0, url().indexOf(':')))
                .doesNotContain("guest:guest");
        @SuppressWarnings("unchecked")
        Map<String, String> states = (Map<String, String>) h.getDetails().get("listeners");
        assertThat(states).containsEntry(QUEUE, "consuming");

        // Acknowledged when the method returned: with the listener stopped (its connection closed, which would give
        // back anything unacknowledged) nothing is left in the queue, and nothing was delivered twice.
        containers.stop();
        assertThat(TestBrokers.takeAll(url(), Queue.of(QUEUE), Duration.ofSeconds(2))).isEmpty();
        assertThat(listener.received).isEmpty();
    }

    /** Deletes the test's queue and exchange when the context closes, after the listener stopped. */
    @TestConfiguration
    static class Cleanup {
        @Bean
        DisposableBean deleteTestQueue(Connection connection) {
            return () -> TestBrokers.delete(connection, List.of(QUEUE), List.of(EXCHANGE));
        }
    }
}
