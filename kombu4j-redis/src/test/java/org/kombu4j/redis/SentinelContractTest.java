package org.kombu4j.redis;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.kombu4j.testkit.TransportContract;
import org.kombu4j.testkit.brokers.PrivateSentinels;

/**
 * The conformance suite over a {@code sentinel://} URL: a private master, a replica and three sentinels,
 * database 3 and a password on the master (given in Kombu's form, on the first URL).
 */
class SentinelContractTest extends TransportContract {
    private static PrivateSentinels group;

    @BeforeAll
    static void start() throws Exception {
        group = new PrivateSentinels(1, java.util.List.of("--requirepass", "m4ster", "--masterauth", "m4ster"), null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (group != null) {
            group.close();
        }
    }

    @Override
    protected String url() {
        return group.url(":m4ster@", "/3", "?master_name=" + PrivateSentinels.MASTER_NAME);
    }
}
