package org.kombu4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Queue;
import org.kombu4j.testkit.brokers.PrivateRedis;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A listener whose broker is killed and started again reconnects and subscribes again by itself. */
class ListenerReconnectTest {
    static final String QUEUE = TestBrokers.unique("reconnect");

    record Ping(int n) {
    }

    static class PingListener {
        final BlockingQueue<Integer> got = new LinkedBlockingQueue<>();

        @KombuListener(queue = "${test.queue}")
        void on(Ping ping) {
            got.add(ping.n());
        }
    }

    @Test
    @SuppressWarnings("try") // PrivateRedis.close() may throw InterruptedException, which the test passes on
    void listenerSurvivesABrokerRestart() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            String url = redis.url("");
            Queue queue = Queue.of(QUEUE);
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, KombuAutoConfiguration.class))
                    .withBean(PingListener.class).withPropertyValues("kombu4j.url=" + url, "test.queue=" + QUEUE)
                    .run(context -> {
                        PingListener l = context.getBean(PingListener.class);
                        TestBrokers.publish(url, queue, List.of(new Ping(1)));
                        assertThat(l.got.poll(10, TimeUnit.SECONDS)).isEqualTo(1);

                        redis.kill();
                        Thread.sleep(300); // the listener notices and starts backing off
                        redis.start();

                        TestBrokers.publish(url, queue, List.of(new Ping(2)));
                        // Back-off is at most 5 s a step: within 20 s the listener is subscribed again.
                        assertThat(l.got.poll(20, TimeUnit.SECONDS)).isEqualTo(2);
                        assertThat(context.getBean(KombuListenerContainers.class).states()).containsEntry(QUEUE, "consuming");
                    });
        }
    }
}
