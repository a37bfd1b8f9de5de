package org.kombu4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kombu4j.Connection;
import org.kombu4j.Producer;
import org.kombu4j.PublishOptions;
import org.kombu4j.Worker;
import org.kombu4j.examples.interop.OrdersWithPython;
import org.kombu4j.examples.rpc.RpcClient;
import org.kombu4j.examples.rpc.RpcServer;
import org.kombu4j.examples.worker.WordCountWorker;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.brokers.LocalRedis;
import org.kombu4j.testkit.python.PythonKombu;
import org.kombu4j.testkit.python.PythonProcess;

/** Runs each example against real brokers (and Python Kombu), as a user would run it. */
class ExamplesTest {
    static Stream<String> brokers() {
        LocalRedis.require();
        return Stream.of("redis://127.0.0.1:6379/13", LocalRabbit.url());
    }

    @ParameterizedTest
    @MethodSource("brokers")
    void rpcPairAnswersEachCallWithItsOwnReply(String url) throws Exception {
        try (Connection serverConnection = Connection.open(url);
                RpcServer server = new RpcServer(serverConnection);
                Connection clientConnection = Connection.open(url)) {
            Thread serving = new Thread(server, "rpc-server");
            serving.start();
            try (RpcClient client = new RpcClient(clientConnection)) {
                // Several calls in flight at once: each reply must find its own call.
                List<CompletableFuture<Object>> calls = List.of(client.add(1, 2), client.add(40, 2), client.add(-5, 5));
                assertThat(client.await(calls.get(2), Duration.ofSeconds(20))).isEqualTo(Map.of("result", 0));
                assertThat(client.await(calls.get(0), Duration.ofSeconds(20))).isEqualTo(Map.of("result", 3));
                assertThat(client.await(calls.get(1), Duration.ofSeconds(20))).isEqualTo(Map.of("result", 42));
            } finally {
                server.close();
                serving.join(10_000);
                serverConnection.channel().deleteQueue(RpcServer.QUEUE);
            }
            assertThat(serving.isAlive()).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("brokers")
    void wordCountWorkerHandlesEveryTextOnceAndStopsGracefully(String url) throws Exception {
        int n = 200;
        try (Connection connection = Connection.open(url); Connection workerConnection = Connection.open(url)) {
            Producer producer = connection.producer(WordCountWorker.EXCHANGE);
            for (int i = 0; i < n; i++) {
                producer.publish(Map.of("id", "t" + i, "text", "word ".repeat(i % 7 + 1)),
                        PublishOptions.builder().routingKey("text").declare(WordCountWorker.QUEUE).build());
            }
            WordCountWorker example = new WordCountWorker();
            Worker worker = example.build(workerConnection, Duration.ofSeconds(5)).start();
            try {
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (example.counts().size() < n && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
                assertThat(worker.stop(Duration.ofSeconds(10))).isTrue();
                assertThat(example.counts()).hasSize(n);
                for (int i = 0; i < n; i++) {
                    assertThat(example.counts()).containsEntry("t" + i, i % 7 + 1);
                }
            } finally {
                worker.close();
                connection.channel().deleteQueue(WordCountWorker.QUEUE.name());
            }
        }
    }

    // On RabbitMQ this once lost statuses 1-3 when run after the RPC pair: a warm JVM publishes the five orders
    // before the Python worker's first handler is done, and orders_worker.py then declared inside its handler
    // (see the comment there: a py-amqp re-entrancy hang, not a kombu4j loss).
    @ParameterizedTest
    @MethodSource("brokers")
    void ordersGoToPythonKombuAndStatusesComeBack(String url) throws Exception {
        LocalRedis.require();
        PythonKombu.requireKombu();
        int n = 5;
        try (Connection connection = Connection.open(url);
                PythonProcess worker = PythonKombu.startStreaming(
                        PythonKombu.script(OrdersWithPython.class, "orders_worker.py"), url, Integer.toString(n))) {
            try {
                assertThat(worker.nextLine(Duration.ofSeconds(30))).isEqualTo("ready");
                List<Map<?, ?>> statuses = OrdersWithPython.run(connection, n, Duration.ofSeconds(30));
                assertThat(statuses).hasSize(n);
                assertThat(statuses).extracting(s -> ((Number) s.get("order_id")).intValue())
                        .containsExactlyInAnyOrder(1, 2, 3, 4, 5);
                assertThat(statuses).allSatisfy(s -> assertThat(s.get("by")).isEqualTo("python"));
                worker.awaitSuccess(Duration.ofSeconds(30), "orders_worker.py");
            } finally {
                connection.channel().deleteQueue(OrdersWithPython.ORDER_QUEUE.name());
                connection.channel().deleteQueue(OrdersWithPython.STATUS_QUEUE.name());
            }
        }
    }
}
