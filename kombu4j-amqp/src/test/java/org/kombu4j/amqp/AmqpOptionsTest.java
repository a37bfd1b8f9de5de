package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;

/** URL handling, without a broker. */
class AmqpOptionsTest {
    @Test
    void defaultsFollowTheDocumentedChoices() {
        AmqpOptions o = AmqpOptions.from(BrokerUrl.parse("amqp://localhost"));
        assertThat(o.heartbeat()).isEqualTo(Duration.ofSeconds(60));
        assertThat(o.confirmPublish()).isTrue();
        assertThat(o.confirmTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.connectionName()).isEqualTo("kombu4j");
    }

    @Test
    void optionsAreReadInSeconds() {
        AmqpOptions o = AmqpOptions.from(BrokerUrl.parse(
                "amqp://h/?heartbeat=0&connect_timeout=2.5&confirm_publish=false&confirm_timeout=5&connection_name=w1"));
        assertThat(o.heartbeat()).isZero();
        assertThat(o.connectTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(o.confirmPublish()).isFalse();
        assertThat(o.confirmTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(o.connectionName()).isEqualTo("w1");
        AmqpOptions a = AmqpOptions.from(BrokerUrl.parse("amqp://h/?confirm_publish=async&confirm_window=500"));
        assertThat(a.confirmMode()).isEqualTo(AmqpOptions.ConfirmMode.ASYNC);
        assertThat(a.confirmPublish()).isTrue();
        assertThat(a.confirmWindow()).isEqualTo(500);
        assertThat(AmqpOptions.from(BrokerUrl.parse("amqp://h")).confirmMode()).isEqualTo(AmqpOptions.ConfirmMode.SYNC);
        assertThat(AmqpOptions.from(BrokerUrl.parse("amqp://h")).confirmWindow()).isEqualTo(10_000);
    }

    @Test
    void unknownOrBadOptionsAreNamed() {
        assertThatThrownBy(() -> Connection.open("amqp://guest:secret@h/?visibility_timeout=3").transport())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("visibility_timeout")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqp://h/?heartbeat=soon")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("heartbeat");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqp://h/?confirm_publish=maybe")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("confirm_publish")
                .hasMessageContaining("async");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqp://h/?confirm_window=0")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("confirm_window");
    }

    @Test
    void virtualHostFollowsKombu() {
        assertThat(AmqpTransport.virtualHost(BrokerUrl.parse("amqp://h"))).isEqualTo("/");
        assertThat(AmqpTransport.virtualHost(BrokerUrl.parse("amqp://h/"))).isEqualTo("/");
        assertThat(AmqpTransport.virtualHost(BrokerUrl.parse("amqp://h//"))).isEqualTo("/");
        assertThat(AmqpTransport.virtualHost(BrokerUrl.parse("amqp://h/prod"))).isEqualTo("prod");
        assertThat(AmqpTransport.virtualHost(BrokerUrl.parse("amqp://h/%2Fprod"))).isEqualTo("/prod");
    }

    @Test
    void everySchemeIsFoundThroughTheServiceLoaderAndConnectsLazily() {
        for (String scheme : new String[] {"amqp", "amqps", "pyamqp"}) {
            try (Connection c = Connection.open(scheme + "://guest:guest@127.0.0.1:1//")) {
                assertThat(c.isConnected()).isFalse();
            }
        }
    }
}
