package org.kombu4j.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kombu4j.Binding;
import org.kombu4j.Connection;
import org.kombu4j.Exchange;
import org.kombu4j.ExchangeType;
import org.kombu4j.Queue;
import org.kombu4j.transport.TransportChannel;

/**
 * Declaring is idempotent, so clients declaring and binding the same entities at the same moment must all
 * succeed (found by the chaos suite: a consumer reconnecting while a publisher re-declared the same queue got a
 * duplicate-key error, which no retry policy treats as transient, and gave up).
 */
class SqlConcurrentDeclareTest {
    private static final int CLIENTS = 4;
    private static final int ROUNDS = 25;
    private String url;

    @AfterEach
    void drop() {
        if (url != null) {
            TestDatabases.drop(url);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "mariadb", "sqlite"})
    void concurrentEqualBindsAndDeclaresAllSucceed(String db) throws Exception {
        url = switch (db) {
            case "postgresql" -> TestDatabases.postgres("k4j_bindrace");
            case "mariadb" -> TestDatabases.mariadb("k4j_bindrace");
            default -> TestDatabases.sqlite("bindrace");
        };
        Exchange ex = Exchange.of("race.ex", ExchangeType.DIRECT);
        try (Connection first = Connection.open(url)) {
            first.channel().declareExchange(ex, false); // the schema, made once before the race
        }
        CyclicBarrier barrier = new CyclicBarrier(CLIENTS);
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<Integer>> results = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                results.add(pool.submit(() -> {
                    int done = 0;
                    try (Connection c = Connection.open(url)) {
                        TransportChannel ch = c.channel();
                        for (int r = 0; r < ROUNDS; r++) {
                            Queue q = Queue.named("race.q" + r).deadLetter("race.dlx", "dead").deliveryLimit(3).build();
                            barrier.await(30, TimeUnit.SECONDS);
                            ch.declareExchange(ex, false);
                            ch.declareQueue(q, false);
                            ch.bind(q.name(), Binding.of(ex, "key" + r));
                            done++;
                        }
                    }
                    return done;
                }));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(ROUNDS);
            }
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = Connection.open(url)) {
            for (int r = 0; r < ROUNDS; r++) {
                assertThat(c.channel().declareQueue(Queue.of("race.q" + r), true).name()).isEqualTo("race.q" + r);
            }
        }
    }
}
