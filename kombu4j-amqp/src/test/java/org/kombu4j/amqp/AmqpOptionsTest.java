package org.kombu4j.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.kombu4j.BrokerUrl;
import org.kombu4j.ConfigurationException;
import org.kombu4j.Connection;
import org.kombu4j.transport.TlsOptions;

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
    void managerOptionsFollowKombuAndDefaultToTheConnection() {
        BrokerUrl plain = BrokerUrl.parse("amqp://alice:s3cret@rabbit.example/v");
        AmqpOptions.Manager d = AmqpOptions.from(plain).manager();
        assertThat(d).isEqualTo(new AmqpOptions.Manager(null, 15672, null, null));
        assertThat(new ManagementApi(plain, d, "v").address()).isEqualTo("rabbit.example:15672");
        assertThat(new ManagementApi(BrokerUrl.parse("amqp://[::1]"), d, "/").address()).isEqualTo("[::1]:15672");
        assertThat(new ManagementApi(BrokerUrl.parse("amqp://"), d, "/").address()).isEqualTo("localhost:15672");

        BrokerUrl set = BrokerUrl.parse("amqp://alice:s3cret@h/?manager_hostname=mgmt&manager_port=8080"
                + "&manager_userid=admin&manager_password=pw%21");
        AmqpOptions.Manager m = AmqpOptions.from(set).manager();
        assertThat(m).isEqualTo(new AmqpOptions.Manager("mgmt", 8080, "admin", "pw!"));
        assertThat(new ManagementApi(set, m, "/").address()).isEqualTo("mgmt:8080");
        // Neither the options' toString nor the URL shown in messages reveals a password.
        assertThat(m.toString()).doesNotContain("pw!");
        assertThat(set.masked()).doesNotContain("pw").doesNotContain("s3cret");
        // Empty values fall back, as Kombu's `opt(...) or default`.
        assertThat(AmqpOptions.from(BrokerUrl.parse("amqp://h/?manager_hostname=&manager_port=")).manager())
                .isEqualTo(new AmqpOptions.Manager(null, 15672, null, null));
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqp://h/?manager_port=http")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("manager_port");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqp://h/?manager_port=70000")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("manager_port");
    }

    @Test
    void tlsOptionsFollowKombuAndRedisPy() {
        assertThat(AmqpOptions.from(BrokerUrl.parse("amqp://h")).tls()).isNull();
        TlsOptions d = AmqpOptions.from(BrokerUrl.parse("amqps://h")).tls();
        assertThat(d).isNotNull();
        assertThat(d.certReqs()).isEqualTo(TlsOptions.CertReqs.REQUIRED);
        assertThat(d.checkHostname()).isTrue();
        assertThat(d.caCerts()).isNull();
        TlsOptions o = AmqpOptions.from(BrokerUrl.parse("amqps://h/?ssl_cert_reqs=CERT_OPTIONAL&ssl_ca_certs=/x/ca.pem")).tls();
        assertThat(o.certReqs()).isEqualTo(TlsOptions.CertReqs.OPTIONAL);
        assertThat(o.checkHostname()).isFalse();
        assertThat(o.caCerts()).hasToString("/x/ca.pem");
        TlsOptions n = AmqpOptions.from(BrokerUrl.parse("amqps://h/?ssl_cert_reqs=none&ssl_certfile=/c.pem")).tls();
        assertThat(n.certReqs()).isEqualTo(TlsOptions.CertReqs.NONE);
        assertThat(n.checkHostname()).isFalse();
        assertThat(n.certFile()).hasToString("/c.pem");
        assertThat(AmqpOptions.from(BrokerUrl.parse("amqps://h/?ssl_check_hostname=false")).tls().checkHostname()).isFalse();
    }

    @Test
    void tlsOptionsNeedAmqpsAndValidValues() {
        assertThatThrownBy(() -> Connection.open("amqp://guest:secret@h/?ssl_ca_certs=/ca.pem").transport())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("ssl_ca_certs")
                .hasMessageContaining("amqps://").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("pyamqp://h/?ssl_cert_reqs=none")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("ssl_cert_reqs");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqps://h/?ssl_cert_reqs=sometimes")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("CERT_REQUIRED");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqps://h/?ssl_check_hostname=perhaps")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("ssl_check_hostname");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqps://h/?ssl_cert_reqs=none&ssl_check_hostname=true")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("none");
        assertThatThrownBy(() -> AmqpOptions.from(BrokerUrl.parse("amqps://h/?ssl_keyfile=/k.pem")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("ssl_certfile");
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
