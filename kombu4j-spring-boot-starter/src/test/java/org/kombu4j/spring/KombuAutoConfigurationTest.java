package org.kombu4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.HandlerFailure;
import org.kombu4j.Message;
import org.kombu4j.PublishOptions;
import org.kombu4j.Queue;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration's beans, its backing off, listeners on {@code memory://}, and health for a bad URL. */
class KombuAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(
            JacksonAutoConfiguration.class, KombuAutoConfiguration.class, KombuHealthAutoConfiguration.class));

    record Task(String name, int priority) {
    }

    /** Listeners of the tests below; the queue names are unique per run so memory:// brokers never mix tests. */
    static class Listeners {
        static final String QUEUE = TestBrokers.unique("tasks");
        static final String FLAKY = TestBrokers.unique("flaky");
        final BlockingQueue<Task> tasks = new LinkedBlockingQueue<>();
        final BlockingQueue<String> queues = new LinkedBlockingQueue<>();
        final BlockingQueue<List<Task>> lists = new LinkedBlockingQueue<>();
        final AtomicInteger flakyCalls = new AtomicInteger();

        @KombuListener(queue = "${test.queue}")
        void onTask(Message message, Task task) {
            queues.add(message.deliveryInfo().queue());
            tasks.add(task);
        }

        @KombuListener(queue = "${test.queue}.lists")
        void onTasks(List<Task> list) {
            lists.add(list);
        }

        @KombuListener(queue = "${test.flaky}", onFailure = HandlerFailure.REQUEUE)
        void flaky(Task task) {
            if (flakyCalls.incrementAndGet() == 1) {
                throw new IllegalStateException("first attempt fails");
            }
            tasks.add(task);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ListenerConfig {
        @Bean
        Listeners listeners() {
            return new Listeners();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnConnection {
        @Bean
        Connection myConnection() {
            return Connection.open("memory://own");
        }
    }

    /** Fails on every message under the default policy, STOP. */
    static class FailingListener {
        static final String QUEUE = TestBrokers.unique("failing");
        final AtomicInteger calls = new AtomicInteger();

        @KombuListener(queue = "${test.failing}", concurrency = 2)
        void fail(Task task) {
            calls.incrementAndGet();
            throw new IllegalStateException("cannot do " + task.name());
        }
    }

    static class BadListener {
        @KombuListener(queue = "bad")
        void twoBodies(Task a, Task b) {
        }
    }

    @Test
    void defaultsGiveAConnectionToMemoryATemplateAndAHealthIndicator() {
        runner.run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(Connection.class).hasSingleBean(KombuTemplate.class)
                    .hasSingleBean(KombuConnectionFactory.class).hasBean("kombu4jHealthIndicator");
            // Surefire runs with KOMBU4J_URL empty: the default is the in-process broker.
            assertThat(context.getBean(Connection.class).url().scheme()).isEqualTo("memory");
            assertThat(context.getBean(KombuProperties.class).getPrefetch()).isEqualTo(10);
            Health h = context.getBean("kombu4jHealthIndicator", HealthIndicator.class).health();
            assertThat(h.getStatus()).isEqualTo(Status.UP);
            assertThat(h.getDetails()).containsEntry("url", "memory://");
        });
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsOwnConnection() {
        runner.withUserConfiguration(OwnConnection.class).run(context -> {
            assertThat(context).hasSingleBean(Connection.class).hasBean("myConnection").doesNotHaveBean("kombuConnection");
            Connection own = context.getBean("myConnection", Connection.class);
            assertThat(context.getBean(KombuTemplate.class).producer().connection()).isSameAs(own);
        });
    }

    @Test
    void noHealthIndicatorWithoutActuator() {
        runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).run(context ->
                assertThat(context).hasNotFailed().hasSingleBean(Connection.class).doesNotHaveBean("kombu4jHealthIndicator"));
    }

    @Test
    void healthIsDownForAnUnreachableBrokerWithThePasswordMasked() {
        // Nothing listens on port 1: connecting is refused at once.
        runner.withPropertyValues("kombu4j.url=redis://:s3cret@127.0.0.1:1/0").run(context -> {
            Health h = context.getBean("kombu4jHealthIndicator", HealthIndicator.class).health();
            assertThat(h.getStatus()).isEqualTo(Status.DOWN);
            assertThat(h.getDetails()).containsKey("error");
            assertThat(h.getDetails().get("url").toString()).isEqualTo("redis://:***@127.0.0.1:1/0");
            assertThat(h.toString()).doesNotContain("s3cret");
        });
    }

    @Test
    void badUrlSchemeFailsAtStartNamingIt() {
        runner.withPropertyValues("kombu4j.url=nosuch://x").run(context ->
                assertThat(context).hasFailed().getFailure().hasStackTraceContaining("nosuch"));
    }

    @Test
    void listenerMethodsReceiveTypedBodiesAndFailuresFollowThePolicy() {
        runner.withUserConfiguration(ListenerConfig.class)
                .withPropertyValues("test.queue=" + Listeners.QUEUE, "test.flaky=" + Listeners.FLAKY).run(context -> {
                    assertThat(context).hasNotFailed();
                    Listeners l = context.getBean(Listeners.class);
                    KombuTemplate template = context.getBean(KombuTemplate.class);
                    template.send(Listeners.QUEUE, new Task("write", 3));
                    template.send("", Listeners.QUEUE + ".lists", List.of(new Task("a", 1), new Task("b", 2)));
                    assertThat(l.tasks.poll(10, TimeUnit.SECONDS)).isEqualTo(new Task("write", 3));
                    assertThat(l.queues.poll()).isEqualTo(Listeners.QUEUE);
                    assertThat(l.lists.poll(10, TimeUnit.SECONDS)).containsExactly(new Task("a", 1), new Task("b", 2));

                    // REQUEUE: the first call throws, the message comes again and the second call takes it.
                    template.publish(new Task("retry", 1), PublishOptions.builder().routingKey(Listeners.FLAKY)
                            .declare(Queue.of(Listeners.FLAKY)).build());
                    assertThat(l.tasks.poll(10, TimeUnit.SECONDS)).isEqualTo(new Task("retry", 1));
                    assertThat(l.flakyCalls).hasValue(2);
                });
    }

    @Test
    void underStopAFailingHandlerStopsItsListenerAndTheMessageGoesBackToTheQueue() {
        runner.withBean(FailingListener.class).withPropertyValues("test.failing=" + FailingListener.QUEUE).run(context -> {
            context.getBean(KombuTemplate.class).send(FailingListener.QUEUE, new Task("once", 1));
            KombuListenerContainers containers = context.getBean(KombuListenerContainers.class);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!containers.states().get(FailingListener.QUEUE).startsWith("stopped:") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(containers.states().get(FailingListener.QUEUE)).startsWith("stopped: java.lang.IllegalStateException");
            assertThat(context.getBean(FailingListener.class).calls).hasValue(1);
            Health h = context.getBean("kombu4jHealthIndicator", HealthIndicator.class).health();
            assertThat(h.getDetails().get("listeners").toString()).contains("stopped");
            // Not acknowledged and not lost: back in the queue for whoever consumes it next.
            assertThat(TestBrokers.takeAll("memory://", Queue.of(FailingListener.QUEUE), java.time.Duration.ofMillis(500)))
                    .hasSize(1);
        });
    }

    @Test
    void aListenerMethodWithTwoBodyParametersStopsTheStartNamingIt() {
        runner.withBean(BadListener.class).run(context -> assertThat(context).hasFailed().getFailure()
                .hasStackTraceContaining("BadListener.twoBodies").hasStackTraceContaining("at most one body parameter"));
    }

    @Test
    void observerBeansAreRegisteredOnTheConnections() {
        List<String> published = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.kombu4j.observe.KombuObserver rec = new org.kombu4j.observe.KombuObserver() {
            @Override
            public void published(org.kombu4j.observe.Publication p, Object token, Throwable error) {
                published.add(p.routingKey());
            }
        };
        String queue = TestBrokers.unique("observed");
        runner.withPropertyValues("kombu4j.url=memory://")
                .withBean(org.kombu4j.observe.KombuObserver.class, () -> rec)
                .run(ctx -> {
                    Connection conn = ctx.getBean(Connection.class);
                    conn.producer().publish("x", PublishOptions.builder().routingKey(queue).declare(Queue.of(queue)).build());
                });
        assertThat(published).containsExactly(queue);
    }
}
