package org.kombu4j.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kombu4j.Connection;
import org.kombu4j.examples.spring.GreetingsApplication.Greeting;
import org.kombu4j.testkit.brokers.LocalRedis;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.health.Status;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts the example application as its main would, against the local Redis, and greets it. */
class GreetingsApplicationTest {
    @Test
    void theApplicationReceivesGreetingsAsRecordsAndReportsHealth() throws Exception {
        LocalRedis.require();
        SpringApplication app = new SpringApplication(GreetingsApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        try (ConfigurableApplicationContext context = app.run("--kombu4j.url=redis://127.0.0.1:6379/13")) {
            try {
                GreetingsApplication.Greeter greeter = context.getBean(GreetingsApplication.Greeter.class);
                for (String name : List.of("Ada", "Grace", "Barbara")) {
                    greeter.greet(name);
                }
                GreetingsApplication.GreetingListener listener = context.getBean(GreetingsApplication.GreetingListener.class);
                List<String> names = new ArrayList<>();
                while (names.size() < 3) {
                    Greeting g = listener.received.poll(20, TimeUnit.SECONDS);
                    assertThat(g).as("greeting %d of 3", names.size() + 1).isNotNull();
                    assertThat(g.at()).isNotNull();
                    names.add(g.name());
                }
                assertThat(names).containsExactlyInAnyOrder("Ada", "Grace", "Barbara");
                assertThat(context.getBean(HealthEndpoint.class).healthForPath("kombu4j").getStatus()).isEqualTo(Status.UP);
            } finally {
                context.getBean(Connection.class).channel().deleteQueue(GreetingsApplication.QUEUE);
            }
        }
    }
}
