package org.kombu4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BrokerUrlTest {
    @Test
    void parsesEveryPart() {
        BrokerUrl u = BrokerUrl.parse("amqp://guest:s%40cret@rabbit.local:5673/my%2Fvhost?heartbeat=30&confirm_publish=true");
        assertThat(u.scheme()).isEqualTo("amqp");
        assertThat(u.user()).isEqualTo("guest");
        assertThat(u.password()).isEqualTo("s@cret");
        assertThat(u.host()).isEqualTo("rabbit.local");
        assertThat(u.port(5672)).isEqualTo(5673);
        assertThat(u.virtualHost()).isEqualTo("my/vhost");
        assertThat(u.options()).containsEntry("heartbeat", "30").containsEntry("confirm_publish", "true");
    }

    @Test
    void defaultsWhenPartsAreMissing() {
        BrokerUrl u = BrokerUrl.parse("redis://localhost");
        assertThat(u.port(6379)).isEqualTo(6379);
        assertThat(u.port()).isEmpty();
        assertThat(u.virtualHost()).isNull();
        assertThat(u.user()).isNull();
        assertThat(BrokerUrl.parse("memory://").host()).isEmpty();
        assertThat(BrokerUrl.parse("redis://:pw@h:1/2").password()).isEqualTo("pw");
        assertThat(BrokerUrl.parse("redis://[::1]:6380/0").host()).isEqualTo("::1");
    }

    @Test
    void passwordIsNeverShown() {
        BrokerUrl u = BrokerUrl.parse("redis://user:topsecret@h:6379/0?password=alsosecret");
        assertThat(u.toString()).doesNotContain("topsecret").doesNotContain("alsosecret").contains("user:***@h:6379/0");
        assertThat(u.masked()).isEqualTo(u.toString());
        assertThat(BrokerUrl.maskRaw("amqp://u:pw@host:1/v")).isEqualTo("amqp://u:***@host:1/v");
    }

    @Test
    void malformedUrlsFailNamingTheProblemWithoutThePassword() {
        assertThatThrownBy(() -> BrokerUrl.parse("localhost:6379")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("malformed broker URL 'localhost:6379'");
        assertThatThrownBy(() -> BrokerUrl.parse("redis://u:secret@host:99999/0"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("port '99999'")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> BrokerUrl.parse("redis://host:abc")).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> BrokerUrl.parse("  ")).isInstanceOf(ConfigurationException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> BrokerUrl.parse("redis://h/%zz")).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void unknownSchemeFailsAtOpenNamingTheKnownOnes() {
        assertThatThrownBy(() -> Connection.open("nosuch://u:pw@host/"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("unknown transport scheme 'nosuch'")
                .hasMessageContaining("memory")
                .hasMessageNotContaining("pw@");
    }

    @Test
    void failoverUrlsAreSplitAndMasked() {
        try (Connection c = Connection.open("memory://a;memory://u:pw@b")) {
            assertThat(c.urls()).hasSize(2);
            assertThat(c.toString()).isEqualTo("Connection(memory://a;memory://u:***@b)");
        }
    }
}
