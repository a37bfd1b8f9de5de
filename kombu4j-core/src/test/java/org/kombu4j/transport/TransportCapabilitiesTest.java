package org.kombu4j.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.kombu4j.ExchangeType;

class TransportCapabilitiesTest {
    @Test
    void unsetSettingsKeepTheirDocumentedDefaults() {
        TransportCapabilities c = TransportCapabilities.builder(EnumSet.of(ExchangeType.DIRECT)).build();
        assertThat(c.exchangeTypes()).containsExactly(ExchangeType.DIRECT);
        assertThat(c.priorityOrder()).isEqualTo(PriorityOrder.NONE);
        assertThat(c.priorityNeedsMaxPriority()).isFalse();
        assertThat(c.canListQueues()).isFalse();
        assertThat(c.fanoutIsDurable()).isTrue();
    }

    @Test
    void eachSettingIsSetByName() {
        TransportCapabilities c = TransportCapabilities.builder(EnumSet.allOf(ExchangeType.class))
                .priorityOrder(PriorityOrder.LOWER_FIRST).priorityNeedsMaxPriority(true).canListQueues(true)
                .fanoutIsDurable(false).build();
        assertThat(c.priorityOrder()).isEqualTo(PriorityOrder.LOWER_FIRST);
        assertThat(c.priorityNeedsMaxPriority()).isTrue();
        assertThat(c.canListQueues()).isTrue();
        assertThat(c.fanoutIsDurable()).isFalse();
        assertThat(c).isEqualTo(TransportCapabilities.builder(EnumSet.allOf(ExchangeType.class))
                .priorityOrder(PriorityOrder.LOWER_FIRST).priorityNeedsMaxPriority(true).canListQueues(true)
                .fanoutIsDurable(false).build()).hasSameHashCodeAs(c);
    }
}
