package org.kombu4j.celery;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.kombu4j.Connection;
import org.kombu4j.amqp.AmqpTransport;
import org.kombu4j.testkit.brokers.LocalRabbit;
import org.kombu4j.testkit.brokers.LocalRedis;

/** The broker x backend combinations every interop test runs on. */
final class Brokers {
    static final String REDIS = "redis://127.0.0.1:6379/0";

    private Brokers() {
    }

    static String url(String broker) {
        if (broker.equals("redis")) {
            LocalRedis.require();
            return REDIS;
        }
        return LocalRabbit.url();
    }

    static String backend(String backend) {
        return backend.equals("redis") ? REDIS : "rpc://";
    }

    /** (broker, backend) names: redis/amqp x redis/rpc. */
    static Stream<Arguments> combinations() {
        return Stream.of("redis", "amqp").flatMap(b -> List.of("redis", "rpc").stream().map(r -> Arguments.of(b, r)));
    }

    /** Removes what Celery and kombu4j left for {@code queue} on {@code broker}. */
    static void clean(String broker, String queue) {
        if (broker.equals("redis")) {
            cleanRedis(queue);
        } else {
            LocalRabbit.deleteQueuesStartingWith(queue);
            // The last hops of countdowns and retries, which go to the queue through the default exchange.
            try (Connection c = Connection.open(LocalRabbit.url())) {
                ((AmqpTransport) c.transport()).deleteDelayQueues("", queue);
            } catch (RuntimeException ignored) {
                // Best effort, as for Redis.
            }
        }
    }

    /** Removes what Celery and kombu4j left in Redis for {@code queue}. */
    static void cleanRedis(String queue) {
        try (RespConnection r = new RespConnection("127.0.0.1", 6379, null, null, 0, 5000)) {
            for (String p : List.of("", "\u0006\u00163", "\u0006\u00166", "\u0006\u00169")) {
                r.call("DEL", queue + p);
            }
            r.call("DEL", "_kombu.binding." + queue);
        } catch (RuntimeException ignored) {
            // Best effort.
        }
    }
}
