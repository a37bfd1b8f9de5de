package org.kombu4j.bench.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.kombu4j.ExchangeType;
import org.kombu4j.transport.virtual.ExchangeRouter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Routing one message through an exchange with 100 bindings, as the virtual transports do on every
 * publish: topic patterns ({@code svc<i>.*.created}, {@code svc<i>.#}, {@code #.audit}) matched with
 * {@code TopicPattern}, or direct keys for contrast.
 */
public class RoutingBenchmark extends JmhDefaults {
    @Param({"TOPIC", "DIRECT"})
    public String type = "TOPIC";

    private final ExchangeRouter router = new ExchangeRouter();
    private List<ExchangeRouter.Row> rows = List.of();
    private ExchangeType exchangeType = ExchangeType.TOPIC;
    private String key = "";

    @Setup
    public void setUp() {
        exchangeType = ExchangeType.valueOf(type);
        List<ExchangeRouter.Row> r = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String pattern;
            if (exchangeType == ExchangeType.DIRECT) {
                pattern = "svc" + i + ".orders.created";
            } else if (i % 3 == 0) {
                pattern = "svc" + i + ".*.created";
            } else if (i % 3 == 1) {
                pattern = "svc" + i + ".#";
            } else {
                pattern = "#.audit" + i;
            }
            r.add(new ExchangeRouter.Row("q" + i, pattern, Map.of()));
        }
        rows = List.copyOf(r);
        key = "svc42.orders.created";
    }

    @Benchmark
    public Set<String> route() {
        return router.route(exchangeType, rows, key, Map.of());
    }
}
