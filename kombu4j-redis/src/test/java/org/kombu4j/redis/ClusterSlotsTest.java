package org.kombu4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** CRC16 and hash tags, on the values the Redis Cluster specification and CLUSTER KEYSLOT give. */
class ClusterSlotsTest {
    @Test
    void crc16IsXmodem() {
        byte[] b = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(ClusterSlots.crc16(b, 0, b.length)).isEqualTo(0x31C3);
    }

    @Test
    void slotsMatchRedis() {
        // CLUSTER KEYSLOT on Redis 7.0: foo 12182, bar 5061, hello 866, somekey 11058.
        assertThat(ClusterSlots.slot("foo")).isEqualTo(12182);
        assertThat(ClusterSlots.slot("bar")).isEqualTo(5061);
        assertThat(ClusterSlots.slot("hello")).isEqualTo(866);
        assertThat(ClusterSlots.slot("somekey")).isEqualTo(11058);
    }

    @Test
    void theFirstNonEmptyTagDecides() {
        assertThat(ClusterSlots.slot("{user1000}.following")).isEqualTo(ClusterSlots.slot("user1000"));
        assertThat(ClusterSlots.slot("{kombu4j}q\u0006\u00163")).isEqualTo(ClusterSlots.slot("{kombu4j}_kombu4j.leases"));
        // An empty tag: the whole key hashes.
        assertThat(ClusterSlots.slot("foo{}{bar}")).isEqualTo(ClusterSlots.slot("foo{}{bar}".getBytes(StandardCharsets.UTF_8)));
        assertThat(ClusterSlots.slot("foo{}{bar}")).isNotEqualTo(ClusterSlots.slot("bar"));
        // Only up to the first '}' after the first '{'.
        assertThat(ClusterSlots.slot("foo{{bar}}zap")).isEqualTo(ClusterSlots.slot("{bar"));
        assertThat(ClusterSlots.slot("foo{bar}{zap}")).isEqualTo(ClusterSlots.slot("bar"));
    }
}
