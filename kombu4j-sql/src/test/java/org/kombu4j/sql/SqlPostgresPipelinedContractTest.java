package org.kombu4j.sql;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.kombu4j.testkit.TransportContract;

/** The conformance suite with pipelined publishing (publish_pipeline=64) on PostgreSQL. */
class SqlPostgresPipelinedContractTest extends TransportContract {
    private static String url;

    @BeforeAll
    static void database() {
        url = TestDatabases.postgres("k4j_contract");
    }

    @AfterAll
    static void dropDatabase() {
        if (url != null) {
            TestDatabases.drop(url);
        }
    }

    @Override
    protected String url() {
        return url + "?publish_pipeline=64";
    }
}
